//! A cursor over JSON bytes for the embedding answers' one-pass reader
//! (`parse.rs`): it reads the numbers it is asked for and checks everything it
//! skips to be well-formed JSON (RFC 8259), with no intermediate tree.

use std::borrow::Cow;

#[derive(Debug)]
pub(super) enum Error {
    /// Not JSON, or not the shape of an embeddings answer.
    Syntax(String),
    /// Well-formed, but not the vectors that were asked for.
    Content(String),
}

pub(super) type Scan<T> = Result<T, Error>;

/// A cursor over JSON text that checks what it passes over (RFC 8259).
pub(super) struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
}

/// How deeply skipped values may nest (serde_json's own limit).
const MAX_DEPTH: usize = 128;

impl<'a> Scanner<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Scanner { bytes, pos: 0 }
    }

    pub(super) fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    /// The next significant byte, not consumed.
    pub(super) fn peek(&mut self) -> Scan<u8> {
        self.skip_whitespace();
        self.bytes
            .get(self.pos)
            .copied()
            .ok_or_else(|| self.syntax("unexpected end of the answer"))
    }

    pub(super) fn syntax(&self, what: &str) -> Error {
        Error::Syntax(format!("{what} at byte {}", self.pos))
    }

    pub(super) fn unexpected(&self, expected: &str) -> Error {
        let end = (self.pos + 20).min(self.bytes.len());
        let found = String::from_utf8_lossy(&self.bytes[self.pos..end]);
        Error::Syntax(format!(
            "expected {expected} at byte {}, found {found:?}",
            self.pos
        ))
    }

    pub(super) fn expect(&mut self, byte: u8, expected: &str) -> Scan<()> {
        if self.peek()? == byte {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected(expected))
        }
    }

    /// Only whitespace may follow the answer.
    pub(super) fn end(&mut self) -> Scan<()> {
        self.skip_whitespace();
        if self.pos == self.bytes.len() {
            Ok(())
        } else {
            Err(self.syntax("trailing characters"))
        }
    }

    /// Calls `each` with every member's key; `each` must consume the value.
    pub(super) fn object(&mut self, mut each: impl FnMut(&mut Self, &str) -> Scan<()>) -> Scan<()> {
        self.expect(b'{', "an object")?;
        if self.peek()? == b'}' {
            self.pos += 1;
            return Ok(());
        }
        loop {
            if self.peek()? != b'"' {
                return Err(self.unexpected("a member name"));
            }
            let key = self.string()?;
            self.expect(b':', "':'")?;
            each(self, &key)?;
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(self.unexpected("',' or '}'")),
            }
        }
    }

    /// Calls `each` for every element; `each` must consume it.
    pub(super) fn array(&mut self, mut each: impl FnMut(&mut Self) -> Scan<()>) -> Scan<()> {
        self.expect(b'[', "an array")?;
        if self.peek()? == b']' {
            self.pos += 1;
            return Ok(());
        }
        loop {
            each(self)?;
            match self.peek()? {
                b',' => self.pos += 1,
                b']' => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(self.unexpected("',' or ']'")),
            }
        }
    }

    /// A string, decoded (escapes are rare in keys: only then is it copied).
    pub(super) fn string(&mut self) -> Scan<Cow<'a, str>> {
        let start = self.pos;
        let escaped = self.skip_string()?;
        let raw = &self.bytes[start..self.pos];
        if escaped {
            serde_json::from_slice::<String>(raw)
                .map(Cow::Owned)
                .map_err(|e| Error::Syntax(e.to_string()))
        } else {
            std::str::from_utf8(&raw[1..raw.len() - 1])
                .map(Cow::Borrowed)
                .map_err(|_| self.syntax("invalid UTF-8 in a string"))
        }
    }

    /// Passes over a string (at its opening quote); says whether it has escapes.
    pub(super) fn skip_string(&mut self) -> Scan<bool> {
        self.pos += 1;
        let mut escaped = false;
        loop {
            let Some(&byte) = self.bytes.get(self.pos) else {
                return Err(self.syntax("unterminated string"));
            };
            self.pos += 1;
            match byte {
                b'"' => return Ok(escaped),
                b'\\' => {
                    escaped = true;
                    match self.bytes.get(self.pos) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            self.pos += 1
                        }
                        Some(b'u') => {
                            let hex = self.bytes.get(self.pos + 1..self.pos + 5);
                            if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                                return Err(self.syntax("invalid \\u escape"));
                            }
                            self.pos += 5;
                        }
                        _ => return Err(self.syntax("invalid escape")),
                    }
                }
                0..=0x1f => return Err(self.syntax("control character in a string")),
                _ => {}
            }
        }
    }

    /// The extent of a number at the cursor, checked against JSON's grammar:
    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`. Says whether it is an integer.
    pub(super) fn number_span(&mut self) -> Scan<(&'a [u8], bool)> {
        self.skip_whitespace();
        let bytes = self.bytes;
        let start = self.pos;
        let mut pos = start;
        let digits = |pos: &mut usize| {
            let from = *pos;
            while bytes.get(*pos).is_some_and(u8::is_ascii_digit) {
                *pos += 1;
            }
            *pos - from
        };
        if bytes.get(pos) == Some(&b'-') {
            pos += 1;
        }
        match bytes.get(pos) {
            Some(b'0') => pos += 1,
            Some(b'1'..=b'9') => {
                digits(&mut pos);
            }
            _ => return Err(self.unexpected("a number")),
        }
        let mut integer = true;
        if bytes.get(pos) == Some(&b'.') {
            pos += 1;
            integer = false;
            if digits(&mut pos) == 0 {
                self.pos = pos;
                return Err(self.syntax("a digit must follow '.'"));
            }
        }
        if let Some(b'e' | b'E') = bytes.get(pos) {
            pos += 1;
            integer = false;
            if let Some(b'+' | b'-') = bytes.get(pos) {
                pos += 1;
            }
            if digits(&mut pos) == 0 {
                self.pos = pos;
                return Err(self.syntax("a digit must follow the exponent"));
            }
        }
        self.pos = pos;
        Ok((&bytes[start..pos], integer))
    }

    /// A number as the nearest f64 (infinite beyond f64's range, as `json.loads` reads it).
    pub(super) fn float(&mut self) -> Scan<f64> {
        let (text, _) = self.number_span()?;
        fast_float2::parse::<f64, _>(text).map_err(|_| self.syntax("unreadable number"))
    }

    /// A number that must be an integer.
    pub(super) fn integer(&mut self) -> Scan<i64> {
        let (text, integer) = self.number_span()?;
        let value = std::str::from_utf8(text)
            .ok()
            .filter(|_| integer)
            .and_then(|t| t.parse::<i64>().ok());
        value.ok_or_else(|| {
            Error::Content(format!(
                "{} is not an integer vector value",
                String::from_utf8_lossy(text)
            ))
        })
    }

    /// A non-negative integer, or `null`.
    pub(super) fn optional_count(&mut self) -> Scan<Option<u64>> {
        if self.peek()? == b'n' {
            return self.literal(b"null").map(|()| None);
        }
        let (text, integer) = self.number_span()?;
        std::str::from_utf8(text)
            .ok()
            .filter(|_| integer)
            .and_then(|t| t.parse::<u64>().ok())
            .map(Some)
            .ok_or_else(|| self.syntax("a token count must be a whole number"))
    }

    pub(super) fn literal(&mut self, word: &[u8]) -> Scan<()> {
        if self.bytes[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.unexpected("a JSON value"))
        }
    }

    /// Passes over one value of any kind, checking it (iteratively: no
    /// recursion for deeply nested input).
    pub(super) fn skip(&mut self) -> Scan<()> {
        // What each open container expects next: true for an object.
        let mut open: Vec<bool> = Vec::new();
        loop {
            // One value.
            match self.peek()? {
                b'{' | b'[' => {
                    let object = self.bytes[self.pos] == b'{';
                    self.pos += 1;
                    if open.len() == MAX_DEPTH {
                        return Err(self.syntax("nesting too deep"));
                    }
                    let close = if object { b'}' } else { b']' };
                    if self.peek()? == close {
                        self.pos += 1;
                    } else {
                        open.push(object);
                        if object {
                            self.member_name()?;
                        }
                        continue;
                    }
                }
                b'"' => {
                    self.skip_string()?;
                }
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                _ => {
                    self.number_span()?;
                }
            }
            // After a value: close containers, or go on to the next element.
            loop {
                let Some(&object) = open.last() else {
                    return Ok(());
                };
                let close = if object { b'}' } else { b']' };
                match self.peek()? {
                    b',' => {
                        self.pos += 1;
                        if object {
                            self.member_name()?;
                        }
                        break;
                    }
                    byte if byte == close => {
                        self.pos += 1;
                        open.pop();
                    }
                    _ => return Err(self.unexpected("',' or the end of the container")),
                }
            }
        }
    }

    /// `"name":` inside a skipped object.
    pub(super) fn member_name(&mut self) -> Scan<()> {
        if self.peek()? != b'"' {
            return Err(self.unexpected("a member name"));
        }
        self.skip_string()?;
        self.expect(b':', "':'")
    }
}
