//! Deterministic embedding vectors and their quantised forms.
//!
//! A text's vector depends on the text alone (not the batch it came in), so tests can compare
//! vectors across calls. Values for the first `d` dimensions are the same whatever the requested
//! size (only the normalisation differs), as with Matryoshka-trained models.

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use crate::text::{hash64, Rng};

/// A unit-length (when `normalize`) vector of `dims` floats seeded by `text`.
pub fn vector(text: &str, dims: usize, normalize: bool) -> Vec<f32> {
    let mut rng = Rng::new(hash64(&[text.as_bytes()]));
    let mut v: Vec<f32> = (0..dims)
        // 24 random bits mapped to [-1, 1).
        .map(|_| ((rng.next_u64() >> 40) as f32 / (1u32 << 23) as f32) - 1.0)
        .collect();
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    let scale = if normalize && norm > 0.0 {
        1.0 / norm
    } else {
        0.05
    };
    for x in &mut v {
        *x *= scale;
    }
    v
}

/// Quantised embedding types, as Cohere names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmbeddingType {
    Float,
    Int8,
    Uint8,
    Binary,
    Ubinary,
}

impl EmbeddingType {
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "float" => EmbeddingType::Float,
            "int8" => EmbeddingType::Int8,
            "uint8" => EmbeddingType::Uint8,
            "binary" => EmbeddingType::Binary,
            "ubinary" => EmbeddingType::Ubinary,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            EmbeddingType::Float => "float",
            EmbeddingType::Int8 => "int8",
            EmbeddingType::Uint8 => "uint8",
            EmbeddingType::Binary => "binary",
            EmbeddingType::Ubinary => "ubinary",
        }
    }
}

/// `round(x / max|x| * 127)`: int8 in [-127, 127].
pub fn to_int8(v: &[f32]) -> Vec<i32> {
    let max = v.iter().fold(0f32, |m, x| m.max(x.abs()));
    let scale = if max > 0.0 { 127.0 / max } else { 0.0 };
    v.iter().map(|x| (x * scale).round() as i32).collect()
}

/// Sign bits packed eight dimensions per byte, most significant first.
pub fn to_packed_bits(v: &[f32]) -> Vec<u8> {
    v.chunks(8)
        .map(|c| {
            c.iter()
                .enumerate()
                .fold(0u8, |b, (i, x)| if *x > 0.0 { b | (0x80 >> i) } else { b })
        })
        .collect()
}

/// One embedding type's vectors for a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum Matrix {
    Float(Vec<Vec<f32>>),
    Int(Vec<Vec<i32>>),
}

impl Matrix {
    /// Quantises float vectors to `ty`.
    pub fn of(ty: EmbeddingType, floats: &[Vec<f32>]) -> Matrix {
        match ty {
            EmbeddingType::Float => Matrix::Float(floats.to_vec()),
            EmbeddingType::Int8 => Matrix::Int(floats.iter().map(|v| to_int8(v)).collect()),
            EmbeddingType::Uint8 => Matrix::Int(
                floats
                    .iter()
                    .map(|v| to_int8(v).into_iter().map(|x| x + 128).collect())
                    .collect(),
            ),
            EmbeddingType::Binary => Matrix::Int(
                floats
                    .iter()
                    .map(|v| {
                        to_packed_bits(v)
                            .into_iter()
                            .map(|b| i32::from(b) - 128)
                            .collect()
                    })
                    .collect(),
            ),
            EmbeddingType::Ubinary => Matrix::Int(
                floats
                    .iter()
                    .map(|v| to_packed_bits(v).into_iter().map(i32::from).collect())
                    .collect(),
            ),
        }
    }
}

impl Serialize for Matrix {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Matrix::Float(m) => m.serialize(s),
            Matrix::Int(m) => m.serialize(s),
        }
    }
}

/// `{"float": [...], "int8": [...]}` in the order the client asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct ByType(pub Vec<(EmbeddingType, Matrix)>);

impl Serialize for ByType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (ty, m) in &self.0 {
            map.serialize_entry(ty.name(), m)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_are_unit_and_stable() {
        let a = vector("hello", 1024, true);
        assert_eq!(a, vector("hello", 1024, true));
        assert_ne!(a, vector("hello!", 1024, true));
        let norm: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4);
        assert!(vector("", 0, true).is_empty());
    }

    #[test]
    fn quantisation_is_consistent() {
        let v = vector("hello", 16, true);
        let q = to_int8(&v);
        assert!(q.iter().all(|x| (-127..=127).contains(x)));
        assert!(q
            .iter()
            .zip(&v)
            .all(|(q, f)| *q == 0 || (*q > 0) == (*f > 0.0)));
        let bits = to_packed_bits(&v);
        assert_eq!(bits.len(), 2);
        assert_eq!((bits[0] & 0x80) != 0, v[0] > 0.0);
    }
}
