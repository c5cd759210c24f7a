//! Reads embedding answers straight into output rows: one pass over the JSON
//! bytes writes the requested vectors as little-endian values into a byte
//! buffer, with no intermediate tree and no Python objects. Everything else in
//! the answer is checked to be well-formed JSON and skipped.
//!
//! Hand-written rather than serde-driven: the vectors are nearly every byte
//! of an answer, and reading each number once (fast-float2, correctly
//! rounded like `json.loads`) instead of having serde scan it and then parse
//! it halves the client's CPU per text.

use super::model::{Element, Family, Layout};
use super::scanner::{Error, Scan, Scanner};

/// Parses one InvokeModel answer for `rows` texts into `out` (`rows` rows of
/// `layout.row_bytes()`). Returns the token count the body reports, if any.
pub fn answer_into(
    layout: &Layout,
    body: &[u8],
    rows: usize,
    out: &mut [u8],
) -> Result<Option<u64>, String> {
    debug_assert_eq!(out.len(), rows * layout.row_bytes());
    let target = Target {
        columns: layout.columns,
        element: layout.element,
        embedding_type: layout.embedding_type,
    };
    let mut json = Scanner::new(body);
    let found = match layout.family {
        Family::CohereV3 | Family::CohereV4 => cohere_answer(&mut json, &target, rows, out),
        Family::TitanV2 => titan_answer(&mut json, &target, out),
    }
    .and_then(|found| json.end().map(|()| found))
    .map_err(|error| match error {
        Error::Syntax(message) => format!("the model's answer is not the expected JSON: {message}"),
        Error::Content(message) => message,
    })?;
    match found {
        (true, tokens) => Ok(tokens),
        (false, _) => Err(format!(
            "the model's answer has no {:?} embeddings",
            layout.embedding_type
        )),
    }
}

/// Why an answer could not be read.
/// What the rows look like.
struct Target {
    columns: usize,
    element: Element,
    embedding_type: &'static str,
}

/// `{"embeddings": {"<type>": [[...], ...]}, ...}` (or `"embeddings": [[...]]`
/// for a floats-only answer). Yields whether the vectors were found.
fn cohere_answer(
    json: &mut Scanner<'_>,
    target: &Target,
    rows: usize,
    out: &mut [u8],
) -> Scan<(bool, Option<u64>)> {
    let mut found = false;
    json.object(|json, key| {
        if key != "embeddings" || found {
            return json.skip();
        }
        found = match json.peek()? {
            b'{' => {
                let mut by_type = false;
                json.object(|json, key| {
                    if key == target.embedding_type && !by_type {
                        by_type = true;
                        matrix(json, target, rows, out)
                    } else {
                        json.skip()
                    }
                })?;
                by_type
            }
            b'[' if target.embedding_type == "float" => {
                matrix(json, target, rows, out)?;
                true
            }
            b'[' => {
                return Err(Error::Content(format!(
                    "float vectors where {:?} was requested",
                    target.embedding_type
                )))
            }
            _ => return Err(json.unexpected("embeddings as an object of types or an array")),
        };
        Ok(())
    })?;
    Ok((found, None))
}

/// `{"embedding": [...], "embeddingsByType": {...}, "inputTextTokenCount": N}`.
/// Yields whether the vector was found, and the token count.
fn titan_answer(
    json: &mut Scanner<'_>,
    target: &Target,
    out: &mut [u8],
) -> Scan<(bool, Option<u64>)> {
    let float = target.embedding_type == "float";
    let mut found = false;
    let mut tokens = None;
    json.object(|json, key| match key {
        "embedding" if float && !found => {
            found = true;
            row(json, target, out)
        }
        "embeddingsByType" if !float && !found => {
            found = true;
            let mut by_type = false;
            json.object(|json, key| {
                if key == target.embedding_type && !by_type {
                    by_type = true;
                    row(json, target, out)
                } else {
                    json.skip()
                }
            })?;
            if by_type {
                Ok(())
            } else {
                Err(Error::Content(
                    "embeddingsByType lacks the requested type".to_owned(),
                ))
            }
        }
        "inputTextTokenCount" => {
            tokens = json.optional_count()?;
            Ok(())
        }
        _ => json.skip(),
    })?;
    Ok((found, tokens))
}

/// An array of `rows` vectors into consecutive rows of `out`.
fn matrix(json: &mut Scanner<'_>, target: &Target, rows: usize, out: &mut [u8]) -> Scan<()> {
    let row_bytes = target.columns * target.element.size();
    let mut count = 0;
    json.array(|json| {
        let start = count * row_bytes;
        count += 1;
        match out.get_mut(start..start + row_bytes) {
            Some(slot) => row(json, target, slot),
            // More vectors than texts: counted for the message.
            None => json.skip(),
        }
    })?;
    if count != rows {
        return Err(Error::Content(format!("{count} vectors for {rows} texts")));
    }
    Ok(())
}

/// One vector of `target.columns` numbers into `out`.
fn row(json: &mut Scanner<'_>, target: &Target, out: &mut [u8]) -> Scan<()> {
    let columns = target.columns;
    let mut count = 0;
    match target.element {
        Element::F32 => json.array(|json| {
            // Read as f64 then rounded to f32, as json.loads + numpy do.
            let value = json.float()?;
            if let Some(slot) = out.get_mut(count * 4..count * 4 + 4) {
                slot.copy_from_slice(&(value as f32).to_le_bytes());
            }
            count += 1;
            Ok(())
        })?,
        Element::I8 | Element::U8 => {
            let (low, high) = if target.element == Element::I8 {
                (-128, 127)
            } else {
                (0, 255)
            };
            json.array(|json| {
                let value = json.integer()?;
                if !(low..=high).contains(&value) {
                    return Err(Error::Content(format!(
                        "{value} is out of range for {:?} embeddings",
                        target.embedding_type
                    )));
                }
                if let Some(slot) = out.get_mut(count) {
                    // Two's complement: the low byte is the int8 or uint8 value.
                    *slot = value as u8;
                }
                count += 1;
                Ok(())
            })?
        }
    };
    if count != columns {
        return Err(Error::Content(format!(
            "a vector of {count} values where {columns} were expected"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A layout of `columns` values per row (real ones have hundreds).
    fn narrow(family: Family, embedding_type: &str, columns: usize) -> Layout {
        Layout {
            columns,
            ..Layout::new(family, embedding_type, 1024).unwrap()
        }
    }

    /// One float row through the scanner, as `answer_into` reads it.
    fn f32_row(text: &[u8], out: &mut [u8], columns: usize) -> Result<(), String> {
        let target = Target {
            columns,
            element: Element::F32,
            embedding_type: "float",
        };
        let mut json = Scanner::new(text);
        row(&mut json, &target, out)
            .and_then(|()| json.end())
            .map_err(|e| format!("{e:?}"))
    }

    fn floats(out: &[u8]) -> Vec<f32> {
        out.chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    }

    #[test]
    fn cohere_by_type_and_floats() {
        let layout = narrow(Family::CohereV3, "float", 2);
        let body = br#"{"id":"x","embeddings":{"int8":[[1,2],[3,4]],"float":[[0.5,-1.25],[2,3e-2]]},"texts":["a","b"]}"#;
        let mut out = vec![0u8; 16];
        assert_eq!(answer_into(&layout, body, 2, &mut out), Ok(None));
        assert_eq!(floats(&out), vec![0.5, -1.25, 2.0, 0.03]);
        let body = br#"{"embeddings":[[1,2],[3,4]],"response_type":"embeddings_floats"}"#;
        assert_eq!(answer_into(&layout, body, 2, &mut out), Ok(None));
        assert_eq!(floats(&out), vec![1.0, 2.0, 3.0, 4.0]);
    }

    #[test]
    fn cohere_int_types() {
        let layout = narrow(Family::CohereV4, "int8", 3);
        let body = br#"{"embeddings":{"int8":[[-127,0,127]]}}"#;
        let mut out = vec![0u8; 3];
        answer_into(&layout, body, 1, &mut out).unwrap();
        assert_eq!(out, vec![0x81, 0, 0x7f]);
        let bad = br#"{"embeddings":{"int8":[[-129,0,127]]}}"#;
        assert!(answer_into(&layout, bad, 1, &mut out)
            .unwrap_err()
            .contains("out of range"));
    }

    #[test]
    fn short_or_long_answers_are_errors() {
        let layout = narrow(Family::CohereV4, "float", 2);
        let mut out = vec![0u8; 16];
        let short = br#"{"embeddings":{"float":[[1,2]]}}"#;
        assert!(answer_into(&layout, short, 2, &mut out)
            .unwrap_err()
            .contains("1 vectors for 2 texts"));
        let long = br#"{"embeddings":{"float":[[1,2],[3,4],[5,6]]}}"#;
        assert!(answer_into(&layout, long, 2, &mut out)
            .unwrap_err()
            .contains("3 vectors for 2 texts"));
        let narrow = br#"{"embeddings":{"float":[[1,2],[3]]}}"#;
        assert!(answer_into(&layout, narrow, 2, &mut out)
            .unwrap_err()
            .contains("a vector of 1 values where 2 were expected"));
        let missing = br#"{"embeddings":{"int8":[[1,2],[3,4]]}}"#;
        assert!(answer_into(&layout, missing, 2, &mut out)
            .unwrap_err()
            .contains("no \"float\" embeddings"));
        assert!(answer_into(&layout, b"{", 2, &mut out).is_err());
    }

    /// `f32_row` must give exactly what serde_json's exact parser (and so
    /// `json.loads`) gives, rounded to f32: shortest forms, long mantissas,
    /// exponents, halfway cases, subnormals and overflow.
    #[test]
    fn f32_rows_match_the_exact_parser() {
        let mut texts: Vec<String> = [
            "0",
            "-0",
            "1",
            "-1.5",
            "3e-2",
            "1E+2",
            "0.1",
            "2.5e-45",
            "1e-46",
            "3.4028235e38",
            "3.4028236e38",
            "1e39",
            "1e308",
            "9007199254740993",
            "0.30000000000000004",
            "1.00000005960464477539062",
            "1.000000059604644775390625",
            "1.0000000596046447753906251",
            "123456789012345678901234567890e-20",
            "4.9406564584124654e-324",
            "2.2250738585072011e-308",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let bits = (state >> 32) as u32;
            let x = f32::from_bits(bits);
            if x.is_finite() {
                texts.push(format!("{x}"));
                texts.push(format!("{:e}", f64::from(x) * 1.000_000_1));
            }
            texts.push(format!("{}", f64::from_bits(state)));
        }
        texts.retain(|t| t != "NaN" && !t.contains("inf"));
        let body = format!("[ {} ]", texts.join(" ,\n"));
        let mut out = vec![0u8; texts.len() * 4];
        f32_row(body.as_bytes(), &mut out, texts.len()).unwrap();
        let exact: Vec<f64> = serde_json::from_str(&body).unwrap();
        for ((text, want), got) in texts.iter().zip(&exact).zip(floats(&out)) {
            assert_eq!((*want as f32).to_bits(), got.to_bits(), "{text}");
        }
    }

    #[test]
    fn f32_rows_reject_what_is_not_a_vector_of_numbers() {
        let mut out = vec![0u8; 8];
        assert!(f32_row(b"[1,null]", &mut out, 2)
            .unwrap_err()
            .contains("expected a number"));
        assert!(f32_row(b"[1,[2]]", &mut out, 2)
            .unwrap_err()
            .contains("expected a number"));
        for bad in [
            &b"[01,2]"[..],
            b"[1.,2]",
            b"[.5,2]",
            b"[+1,2]",
            b"[-,2]",
            b"[1e,2]",
            b"[NaN,2]",
            b"[1 2]",
            b"[1,2",
            b"[1,2]x",
        ] {
            assert!(
                f32_row(bad, &mut out, 2).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert!(f32_row(b"[]", &mut out, 2)
            .unwrap_err()
            .contains("0 values where 2"));
        assert!(f32_row(b"[1,2,3]", &mut out, 2)
            .unwrap_err()
            .contains("3 values where 2"));
        assert!(f32_row(b"{}", &mut out, 2).is_err());
        assert_eq!(f32_row(b" [ 1 , 2 ] ", &mut out, 2), Ok(()));
        assert_eq!(floats(&out), vec![1.0, 2.0]);
        // Out of f64's range: infinite, as json.loads reads it.
        assert_eq!(f32_row(b"[1e999,-1e999]", &mut out, 2), Ok(()));
        assert_eq!(floats(&out), vec![f32::INFINITY, f32::NEG_INFINITY]);
    }

    #[test]
    fn titan() {
        let layout = narrow(Family::TitanV2, "float", 2);
        let body = br#"{"embedding":[0.25,-0.5],"inputTextTokenCount":7}"#;
        let mut out = vec![0u8; 8];
        assert_eq!(answer_into(&layout, body, 1, &mut out), Ok(Some(7)));
        assert_eq!(floats(&out), vec![0.25, -0.5]);
        let layout = narrow(Family::TitanV2, "binary", 2);
        let body = br#"{"embedding":[0.25,-0.5],"embeddingsByType":{"binary":[1,0]},"inputTextTokenCount":3}"#;
        let mut out = vec![9u8; 2];
        assert_eq!(answer_into(&layout, body, 1, &mut out), Ok(Some(3)));
        assert_eq!(out, vec![1, 0]);
    }

    /// Members other than the vectors are checked and skipped, whatever they hold.
    #[test]
    fn other_members_are_skipped_and_keys_decoded() {
        let layout = narrow(Family::CohereV4, "float", 2);
        let body = br#" { "id" : "a\"b\\c\u00e9" , "meta": {"x": [1, -2.5e3, true, false, null, {"y": []}, {}], "z": "\ud83d\ude00"},
            "texts": ["\n"], "embedd\u0069ngs": {"int8": [[1, 2]], "float": [[0.5, 1], [2, 3]]}, "embeddings": 7 } "#;
        let mut out = vec![0u8; 16];
        assert_eq!(answer_into(&layout, body, 2, &mut out), Ok(None));
        assert_eq!(floats(&out), vec![0.5, 1.0, 2.0, 3.0]);
        for bad in [
            &br#"{"x": [1,], "embeddings": []}"#[..],
            br#"{"x": {"a" 1}, "embeddings": []}"#,
            br#"{"x": "\q", "embeddings": []}"#,
            br#"{"x": "\u12g4", "embeddings": []}"#,
            br#"{"x": tru, "embeddings": []}"#,
            br#"{"x": [1 2], "embeddings": []}"#,
            b"{\"x\": \"a\nb\"}",
            br#"{"embeddings": {"float": [[1, 2], [3, 4]]}} {}"#,
            br#"{"embeddings": {"float": [[1, 2], [3, 4]]},}"#,
        ] {
            let error = answer_into(&layout, bad, 2, &mut out).unwrap_err();
            assert!(error.contains("not the expected JSON"), "{error}");
        }
        let deep = format!(
            r#"{{"x": {}{}, "embeddings": []}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        assert!(answer_into(&layout, deep.as_bytes(), 2, &mut out)
            .unwrap_err()
            .contains("nesting too deep"));
    }

    #[test]
    fn integer_rows_take_only_integers() {
        let layout = narrow(Family::CohereV4, "uint8", 2);
        let mut out = vec![0u8; 2];
        let body = br#"{"embeddings": {"uint8": [[0, 255]]}}"#;
        assert_eq!(answer_into(&layout, body, 1, &mut out), Ok(None));
        assert_eq!(out, vec![0, 255]);
        let body = br#"{"embeddings": {"uint8": [[0, 1.0]]}}"#;
        assert!(answer_into(&layout, body, 1, &mut out)
            .unwrap_err()
            .contains("1.0 is not an integer"));
        let body = br#"{"embeddings": {"uint8": [[0, 256]]}}"#;
        assert!(answer_into(&layout, body, 1, &mut out)
            .unwrap_err()
            .contains("out of range"));
    }
}
