//! Deterministic text utilities: hashing, a simple tokenizer and a pseudo-English generator.
//!
//! Everything here is a pure function of its input so that the same request always gets the same
//! answer, and cheap enough for benchmarks that hammer the emulator.

/// 64-bit FNV-1a followed by a splitmix64 finaliser (FNV alone mixes the high bits poorly).
pub fn hash64(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in *part {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        // Separator so that ("ab","c") and ("a","bc") differ.
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    mix64(h)
}

/// splitmix64 finaliser.
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A small, fast, seedable generator (splitmix64 stream).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix64(self.0)
    }

    /// Uniform in `0..n` (n > 0); the modulo bias is irrelevant here.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % (n.max(1) as u64)) as usize
    }
}

/// Counts tokens the way the emulator's "tokenizer" sees them: each run of alphanumeric
/// characters is one token and each other non-space character is a token of its own.
pub fn count_tokens(text: &str) -> u32 {
    let mut count: u32 = 0;
    let mut in_word = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if !in_word {
                count = count.saturating_add(1);
                in_word = true;
            }
        } else {
            in_word = false;
            if !c.is_whitespace() {
                count = count.saturating_add(1);
            }
        }
    }
    count
}

const NOUNS: &[&str] = &[
    "cloud",
    "data",
    "service",
    "model",
    "system",
    "network",
    "storage",
    "user",
    "request",
    "answer",
    "region",
    "capacity",
    "latency",
    "resource",
    "application",
    "platform",
    "process",
    "result",
    "team",
    "workload",
    "infrastructure",
    "performance",
    "design",
    "approach",
    "method",
    "pattern",
    "structure",
    "context",
    "question",
    "information",
    "analysis",
    "solution",
    "problem",
    "feature",
    "provider",
    "server",
    "client",
    "cost",
    "security",
    "demand",
];
const VERBS: &[&str] = &[
    "delivers", "provides", "enables", "supports", "handles", "offers", "improves", "reduces",
    "manages", "combines", "allows", "keeps", "shapes", "helps", "runs", "stores", "moves",
    "builds", "shares", "uses", "needs", "balances", "protects", "scales", "connects",
];
const ADJECTIVES: &[&str] = &[
    "flexible",
    "reliable",
    "secure",
    "fast",
    "simple",
    "global",
    "local",
    "shared",
    "modern",
    "efficient",
    "available",
    "elastic",
    "managed",
    "virtual",
    "distributed",
    "automatic",
    "remote",
    "typical",
    "common",
    "useful",
    "clear",
    "large",
    "small",
    "scalable",
    "steady",
];
const DETERMINERS: &[&str] = &[
    "the", "a", "each", "every", "this", "that", "its", "their", "your", "our",
];
const PREPOSITIONS: &[&str] = &[
    "on", "over", "through", "with", "across", "within", "for", "from", "into", "by",
];
const ADVERBS: &[&str] = &[
    "quickly", "easily", "often", "usually", "directly", "safely", "widely", "reliably",
];
const CONJUNCTIONS: &[&str] = &["and", "while", "so", "because", "but"];

/// Sentence templates: D determiner, A adjective, N noun, V verb, P preposition, R adverb,
/// C conjunction, `,` a comma.
const TEMPLATES: &[&str] = &[
    "DANVDNPDAN",
    "ANVAN,CDNRVDN",
    "DNRVANPDN",
    "R,DANVDNPAN",
    "DNVDAN,CDNVRPDN",
    "ANVDNPDANPN",
];

fn category(c: char) -> &'static [&'static str] {
    match c {
        'D' => DETERMINERS,
        'A' => ADJECTIVES,
        'N' => NOUNS,
        'V' => VERBS,
        'P' => PREPOSITIONS,
        'R' => ADVERBS,
        _ => CONJUNCTIONS,
    }
}

/// Generated text with its token boundaries, so that streams can cut it into deltas and
/// `maxTokens` can truncate it without re-tokenising.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PieceText {
    text: String,
    /// Byte offset where each piece ends; pieces are consecutive and cover `text`.
    ends: Vec<usize>,
}

impl PieceText {
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn piece_count(&self) -> usize {
        self.ends.len()
    }

    fn push(&mut self, piece: &str) {
        self.text.push_str(piece);
        self.ends.push(self.text.len());
    }

    /// Keeps the first `n` pieces.
    pub fn truncate_pieces(&mut self, n: usize) {
        if n < self.ends.len() {
            let end = if n == 0 { 0 } else { self.ends[n - 1] };
            self.ends.truncate(n);
            self.text.truncate(end);
        }
    }

    /// Cuts the text at byte offset `at` (a char boundary), splitting a piece if needed.
    pub fn truncate_bytes(&mut self, at: usize) {
        if at >= self.text.len() || !self.text.is_char_boundary(at) {
            return;
        }
        self.text.truncate(at);
        self.ends.retain(|&e| e < at);
        if at > 0 && self.ends.last() != Some(&at) {
            self.ends.push(at);
        }
    }

    /// Splits the text into `n` consecutive chunks of whole pieces (fewer when there are fewer
    /// pieces than `n`); `n = 0` means one chunk per four pieces, about what real models send.
    pub fn chunks(&self, n: usize) -> Vec<&str> {
        let pieces = self.ends.len();
        if pieces == 0 {
            return Vec::new();
        }
        let n = if n == 0 {
            pieces.div_ceil(4)
        } else {
            n.min(pieces)
        };
        let mut out = Vec::with_capacity(n);
        let mut start = 0;
        for i in 0..n {
            // Piece index that ends chunk i, spreading pieces evenly.
            let last = ((i + 1) * pieces) / n;
            let end = self.ends[last - 1];
            out.push(&self.text[start..end]);
            start = end;
        }
        out
    }
}

/// Deterministic pseudo-English: template sentences filled with words from a fixed vocabulary.
/// Stops at the end of the sentence that reaches at least `min_pieces` pieces.
pub fn pseudo_english(seed: u64, sentences: usize, min_pieces: usize) -> PieceText {
    let mut rng = Rng::new(seed);
    let mut out = PieceText::default();
    let mut done = 0;
    let mut piece = String::with_capacity(24);
    while done < sentences.max(1) || out.piece_count() < min_pieces {
        let template = TEMPLATES[rng.below(TEMPLATES.len())];
        let mut first = true;
        for c in template.chars() {
            if c == ',' {
                out.push(",");
                continue;
            }
            let words = category(c);
            let word = words[rng.below(words.len())];
            piece.clear();
            if !out.text.is_empty() {
                piece.push(' ');
            }
            if first {
                let mut chars = word.chars();
                if let Some(c) = chars.next() {
                    piece.extend(c.to_uppercase());
                    piece.push_str(chars.as_str());
                }
                first = false;
            } else {
                piece.push_str(word);
            }
            out.push(&piece);
        }
        out.push(".");
        done += 1;
    }
    out
}

/// A base62 string of `len` characters derived from `seed` (for ids such as tool-use ids).
pub fn base62_id(seed: u64, len: usize) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut rng = Rng::new(seed);
    (0..len)
        .map(|_| char::from(ALPHABET[rng.below(ALPHABET.len())]))
        .collect()
}

/// A version-4-shaped UUID string derived from `seed` (request ids, response ids).
pub fn uuid_like(seed: u64) -> String {
    let hi = mix64(seed ^ 0x6a09_e667_f3bc_c908);
    let lo = mix64(seed.rotate_left(17) ^ 0xbb67_ae85_84ca_a73b);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0x0fff,
        ((lo >> 48) & 0x3fff) | 0x8000,
        lo & 0xffff_ffff_ffff
    )
}

/// Splits a string into about `n` pieces on char boundaries (tool input JSON deltas).
pub fn split_str(s: &str, n: usize) -> Vec<&str> {
    let n = n.max(1);
    let step = s.len().div_ceil(n).max(1);
    let mut out = Vec::with_capacity(n);
    let mut start = 0;
    while start < s.len() {
        let mut end = (start + step).min(s.len());
        while !s.is_char_boundary(end) {
            end += 1;
        }
        out.push(&s[start..end]);
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizer_counts_words_and_punctuation() {
        assert_eq!(count_tokens("Explain cloud computing in 2 sentences."), 7);
        assert_eq!(count_tokens(""), 0);
        assert_eq!(count_tokens("a,b"), 3);
    }

    #[test]
    fn generator_is_deterministic_and_sized() {
        let a = pseudo_english(42, 2, 0);
        let b = pseudo_english(42, 2, 0);
        assert_eq!(a, b);
        assert!(a.as_str().ends_with('.'));
        let long = pseudo_english(42, 1, 500);
        assert!(long.piece_count() >= 500);
        assert_eq!(long.chunks(500).len(), 500);
        assert_eq!(long.chunks(500).concat(), long.as_str());
        assert_eq!(count_tokens(a.as_str()) as usize, a.piece_count());
    }

    #[test]
    fn truncation_keeps_boundaries() {
        let mut t = pseudo_english(7, 3, 0);
        t.truncate_pieces(5);
        assert_eq!(t.piece_count(), 5);
        let cut = t.as_str().len() - 2;
        t.truncate_bytes(cut);
        assert_eq!(t.chunks(100).concat(), t.as_str());
    }

    #[test]
    fn split_covers_the_string() {
        let s = "{\"city\":\"Sé\"}";
        assert_eq!(split_str(s, 3).concat(), s);
        assert!(split_str("", 3).is_empty());
    }
}
