//! Reads embedding answers straight into output rows: the JSON numbers are
//! parsed by serde_json and written as little-endian values into a byte
//! buffer, with no intermediate tree and no Python objects. Everything in the
//! answer other than the requested vectors is skipped without being stored.

use std::fmt;

use serde::de::{
    DeserializeSeed, Deserializer, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor,
};

use serde::Deserialize;
use serde_json::value::RawValue;

use super::model::{Element, Family, Layout};

/// Parses one InvokeModel answer for `rows` texts into `out` (`rows` rows of
/// `layout.row_bytes()`). Returns the token count the body reports, if any.
pub fn answer_into(
    layout: &Layout,
    body: &[u8],
    rows: usize,
    out: &mut [u8],
) -> Result<Option<u64>, String> {
    debug_assert_eq!(out.len(), rows * layout.row_bytes());
    let mut de = serde_json::Deserializer::from_slice(body);
    let found = match layout.family {
        Family::CohereV3 | Family::CohereV4 => CohereAnswer {
            matrix: Matrix::new(layout, rows, out),
        }
        .deserialize(&mut de)
        .map(|found| (found, None)),
        Family::TitanV2 => TitanAnswer {
            row: Row::new(layout, out),
        }
        .deserialize(&mut de),
    }
    .and_then(|found| de.end().map(|()| found))
    .map_err(|e| format!("the model's answer is not the expected JSON: {e}"))?;
    match found {
        (true, tokens) => Ok(tokens),
        (false, _) => Err(format!(
            "the model's answer has no {:?} embeddings",
            layout.embedding_type
        )),
    }
}

/// Where the vectors of one answer go.
struct Matrix<'a> {
    out: &'a mut [u8],
    rows: usize,
    columns: usize,
    element: Element,
    embedding_type: &'static str,
}

impl<'a> Matrix<'a> {
    fn new(layout: &Layout, rows: usize, out: &'a mut [u8]) -> Self {
        Matrix {
            out,
            rows,
            columns: layout.columns,
            element: layout.element,
            embedding_type: layout.embedding_type,
        }
    }
}

/// Where the one vector of a Titan answer goes.
struct Row<'a> {
    out: &'a mut [u8],
    columns: usize,
    element: Element,
    embedding_type: &'static str,
}

impl<'a> Row<'a> {
    fn new(layout: &Layout, out: &'a mut [u8]) -> Self {
        Row {
            out,
            columns: layout.columns,
            element: layout.element,
            embedding_type: layout.embedding_type,
        }
    }
}

/// `{"embeddings": {"<type>": [[...], ...]}, ...}` (or `"embeddings": [[...]]`
/// for a floats-only answer). Yields whether the vectors were found.
struct CohereAnswer<'a> {
    matrix: Matrix<'a>,
}

impl<'de> DeserializeSeed<'de> for CohereAnswer<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for CohereAnswer<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Cohere Embed answer object")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<bool, A::Error> {
        let mut found = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "embeddings" && !found {
                found = map.next_value_seed(Embeddings {
                    matrix: &mut self.matrix,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

/// The `embeddings` member: by type (an object) or floats (an array).
struct Embeddings<'m, 'a> {
    matrix: &'m mut Matrix<'a>,
}

impl<'de> DeserializeSeed<'de> for Embeddings<'_, '_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Embeddings<'_, '_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("embeddings as an object of types or an array of vectors")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut found = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == self.matrix.embedding_type && !found {
                map.next_value_seed(&mut *self.matrix)?;
                found = true;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<bool, A::Error> {
        if self.matrix.embedding_type != "float" {
            return Err(A::Error::custom(format!(
                "float vectors where {:?} was requested",
                self.matrix.embedding_type
            )));
        }
        (&mut *self.matrix).visit_seq(seq)?;
        Ok(true)
    }
}

impl<'de> DeserializeSeed<'de> for &mut Matrix<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for &mut Matrix<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an array of {} vectors", self.rows)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let row_bytes = self.columns * self.element.size();
        let mut rows = 0;
        loop {
            let start = rows * row_bytes;
            let Some(out) = self.out.get_mut(start..start + row_bytes) else {
                // More vectors than texts: count them for the message.
                let mut extra = 0;
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    extra += 1;
                }
                if extra == 0 {
                    break;
                }
                return Err(A::Error::custom(format!(
                    "{} vectors for {} texts",
                    rows + extra,
                    self.rows
                )));
            };
            let row = Row {
                out,
                columns: self.columns,
                element: self.element,
                embedding_type: self.embedding_type,
            };
            if seq.next_element_seed(row)?.is_none() {
                break;
            }
            rows += 1;
        }
        if rows != self.rows {
            return Err(A::Error::custom(format!(
                "{rows} vectors for {} texts",
                self.rows
            )));
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Row<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if self.element != Element::F32 {
            return d.deserialize_seq(self);
        }
        // Float rows are most of an answer's bytes: serde_json checks the
        // row's syntax and hands it over unparsed (borrowed, no copy), and
        // `f32_row` reads the numbers several times faster than serde_json's
        // exact float path, with the same correctly rounded results.
        let raw = <&RawValue>::deserialize(d)?;
        f32_row(raw.get().as_bytes(), self.out, self.columns).map_err(D::Error::custom)
    }
}

/// Reads a JSON array of numbers (already checked to be valid JSON) into
/// `columns` little-endian f32 values: each number is read as the nearest f64,
/// then rounded to f32, as `json.loads` followed by numpy's float32 does.
fn f32_row(text: &[u8], out: &mut [u8], columns: usize) -> Result<(), String> {
    let mut rest = skip_whitespace(text)
        .strip_prefix(b"[")
        .ok_or_else(|| format!("a vector of {columns} numbers"))?;
    let mut count = 0;
    rest = skip_whitespace(rest);
    if let Some(after) = rest.strip_prefix(b"]") {
        rest = after;
    } else {
        loop {
            let (value, used) = fast_float2::parse_partial::<f64, _>(rest).map_err(|_| {
                let shown = String::from_utf8_lossy(&rest[..rest.len().min(20)]).into_owned();
                format!("a vector value is not a number: {shown}")
            })?;
            if let Some(slot) = out.get_mut(count * 4..count * 4 + 4) {
                slot.copy_from_slice(&(value as f32).to_le_bytes());
            }
            count += 1;
            rest = skip_whitespace(&rest[used..]);
            match rest.split_first() {
                Some((b',', after)) => rest = skip_whitespace(after),
                Some((b']', after)) => {
                    rest = after;
                    break;
                }
                _ => return Err(format!("a vector of {columns} numbers")),
            }
        }
    }
    if count != columns || !skip_whitespace(rest).is_empty() {
        return Err(format!(
            "a vector of {count} values where {columns} were expected"
        ));
    }
    Ok(())
}

fn skip_whitespace(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        .unwrap_or(bytes.len());
    &bytes[start..]
}

impl<'de> Visitor<'de> for Row<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a vector of {} numbers", self.columns)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        // Integer rows only: float rows go through `f32_row`.
        let (low, high) = match self.element {
            Element::I8 => (-128, 127),
            Element::U8 => (0, 255),
            Element::F32 => return Err(A::Error::custom("float rows are read by f32_row")),
        };
        let mut n = 0;
        for slot in self.out.iter_mut() {
            let Some(value) = seq.next_element::<i64>()? else {
                break;
            };
            if !(low..=high).contains(&value) {
                return Err(A::Error::custom(format!(
                    "{value} is out of range for {:?} embeddings",
                    self.embedding_type
                )));
            }
            // Two's complement: the low byte is the int8 or uint8 value.
            *slot = value as u8;
            n += 1;
        }
        let mut extra = 0;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            extra += 1;
        }
        if n != self.columns || extra > 0 {
            return Err(A::Error::custom(format!(
                "a vector of {} values where {} were expected",
                n + extra,
                self.columns
            )));
        }
        Ok(())
    }
}

/// `{"embedding": [...], "embeddingsByType": {...}, "inputTextTokenCount": N}`.
/// Yields whether the vector was found, and the token count.
struct TitanAnswer<'a> {
    row: Row<'a>,
}

impl<'de> DeserializeSeed<'de> for TitanAnswer<'_> {
    type Value = (bool, Option<u64>);

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TitanAnswer<'_> {
    type Value = (bool, Option<u64>);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Titan Text Embeddings answer object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut row = Some(self.row);
        let mut tokens = None;
        let float = row.as_ref().is_some_and(|r| r.embedding_type == "float");
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "embedding" if float && row.is_some() => {
                    if let Some(r) = row.take() {
                        map.next_value_seed(r)?;
                    }
                }
                "embeddingsByType" if !float && row.is_some() => {
                    if let Some(r) = row.take() {
                        if !map.next_value_seed(TitanByType { row: Some(r) })? {
                            return Err(A::Error::custom(
                                "embeddingsByType lacks the requested type",
                            ));
                        }
                    }
                }
                "inputTextTokenCount" => tokens = map.next_value::<Option<u64>>()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok((row.is_none(), tokens))
    }
}

/// Titan's `embeddingsByType` object.
struct TitanByType<'a> {
    row: Option<Row<'a>>,
}

impl<'de> DeserializeSeed<'de> for TitanByType<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TitanByType<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of embedding types")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<bool, A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            let wanted = self.row.as_ref().map(|r| r.embedding_type);
            match self.row.take() {
                Some(row) if wanted == Some(key.as_str()) => map.next_value_seed(row)?,
                other => {
                    self.row = other;
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(self.row.is_none())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn floats(out: &[u8]) -> Vec<f32> {
        out.chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    }

    #[test]
    fn cohere_by_type_and_floats() {
        let layout = Layout::new(Family::CohereV3, "float", 1024).unwrap();
        let layout = Layout {
            columns: 2,
            ..layout
        };
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
        let layout = Layout {
            columns: 3,
            ..Layout::new(Family::CohereV4, "int8", 256).unwrap()
        };
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
        let layout = Layout {
            columns: 2,
            ..Layout::new(Family::CohereV4, "float", 256).unwrap()
        };
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
            .contains("not a number"));
        assert!(f32_row(b"[1,[2]]", &mut out, 2)
            .unwrap_err()
            .contains("not a number"));
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
        let layout = Layout {
            columns: 2,
            ..Layout::new(Family::TitanV2, "float", 256).unwrap()
        };
        let body = br#"{"embedding":[0.25,-0.5],"inputTextTokenCount":7}"#;
        let mut out = vec![0u8; 8];
        assert_eq!(answer_into(&layout, body, 1, &mut out), Ok(Some(7)));
        assert_eq!(floats(&out), vec![0.25, -0.5]);
        let layout = Layout {
            columns: 2,
            ..Layout::new(Family::TitanV2, "binary", 256).unwrap()
        };
        let body = br#"{"embedding":[0.25,-0.5],"embeddingsByType":{"binary":[1,0]},"inputTextTokenCount":3}"#;
        let mut out = vec![9u8; 2];
        assert_eq!(answer_into(&layout, body, 1, &mut out), Ok(Some(3)));
        assert_eq!(out, vec![1, 0]);
    }
}
