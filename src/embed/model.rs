//! The embedding models `embed` drives: which family a model id belongs to,
//! the request body for a batch of texts, and the shape of the output rows.

use serde_json::{json, Map, Value};

/// A family of embedding models sharing one request and answer format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// Cohere Embed v3 (English and multilingual): 1024 dimensions.
    CohereV3,
    /// Cohere Embed v4: 256, 512, 1024 or 1536 dimensions.
    CohereV4,
    /// Amazon Titan Text Embeddings v2: one text per request, 256, 512 or 1024 dimensions.
    TitanV2,
}

impl Family {
    /// The family of a model id, inference profile id or ARN, when it names one.
    pub fn detect(model_id: &str) -> Option<Family> {
        let name = model_id.rsplit('/').next().unwrap_or(model_id);
        if name.contains("cohere.embed-v4") {
            Some(Family::CohereV4)
        } else if name.contains("cohere.embed-english-v3")
            || name.contains("cohere.embed-multilingual-v3")
        {
            Some(Family::CohereV3)
        } else if name.contains("amazon.titan-embed-text-v2") {
            Some(Family::TitanV2)
        } else {
            None
        }
    }

    /// A family by the name `embed(family=...)` takes (for ARNs that do not show the model).
    pub fn named(name: &str) -> Option<Family> {
        match name {
            "cohere-v3" => Some(Family::CohereV3),
            "cohere-v4" => Some(Family::CohereV4),
            "titan-v2" => Some(Family::TitanV2),
            _ => None,
        }
    }

    /// Most texts one request may carry (Bedrock's limit for the model).
    pub fn max_batch(self) -> usize {
        match self {
            Family::CohereV3 | Family::CohereV4 => 96,
            Family::TitanV2 => 1,
        }
    }

    fn dimensions(self) -> &'static [usize] {
        match self {
            Family::CohereV3 => &[1024],
            Family::CohereV4 => &[256, 512, 1024, 1536],
            Family::TitanV2 => &[256, 512, 1024],
        }
    }

    fn label(self) -> &'static str {
        match self {
            Family::CohereV3 => "Cohere Embed v3",
            Family::CohereV4 => "Cohere Embed v4",
            Family::TitanV2 => "Titan Text Embeddings v2",
        }
    }
}

/// How one value of an output row is stored (little-endian).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Element {
    F32,
    I8,
    U8,
}

impl Element {
    pub fn size(self) -> usize {
        match self {
            Element::F32 => 4,
            Element::I8 | Element::U8 => 1,
        }
    }

    /// The numpy dtype name of the output.
    pub fn dtype(self) -> &'static str {
        match self {
            Element::F32 => "float32",
            Element::I8 => "int8",
            Element::U8 => "uint8",
        }
    }
}

/// What to ask the model for, and the layout of the answer's rows.
#[derive(Clone, Debug)]
pub struct Layout {
    pub family: Family,
    /// The embedding type as the model names it (`float`, `int8`, ...).
    pub embedding_type: &'static str,
    pub dimensions: usize,
    /// Values per row: the dimensions, or an eighth of them for packed bits.
    pub columns: usize,
    pub element: Element,
}

impl Layout {
    /// Validates the type and size for the family; the error says what is allowed.
    pub fn new(family: Family, embedding_type: &str, dimensions: usize) -> Result<Layout, String> {
        let allowed = family.dimensions();
        if !allowed.contains(&dimensions) {
            return Err(format!(
                "{} supports dimensions {:?}, not {dimensions}",
                family.label(),
                allowed
            ));
        }
        let (embedding_type, columns, element) = match (family, embedding_type) {
            (_, "float") => ("float", dimensions, Element::F32),
            (Family::CohereV3 | Family::CohereV4, "int8") => ("int8", dimensions, Element::I8),
            (Family::CohereV3 | Family::CohereV4, "uint8") => ("uint8", dimensions, Element::U8),
            (Family::CohereV3 | Family::CohereV4, "binary") => {
                ("binary", dimensions / 8, Element::I8)
            }
            (Family::CohereV3 | Family::CohereV4, "ubinary") => {
                ("ubinary", dimensions / 8, Element::U8)
            }
            (Family::TitanV2, "binary") => ("binary", dimensions, Element::U8),
            (Family::TitanV2, other) => {
                return Err(format!(
                    "Titan Text Embeddings v2 supports embedding_type 'float' or 'binary', not {other:?}"
                ))
            }
            (_, other) => {
                return Err(format!(
                    "{} supports embedding_type 'float', 'int8', 'uint8', 'binary' or 'ubinary', not {other:?}",
                    family.label()
                ))
            }
        };
        Ok(Layout {
            family,
            embedding_type,
            dimensions,
            columns,
            element,
        })
    }

    /// Bytes of one output row.
    pub fn row_bytes(&self) -> usize {
        self.columns * self.element.size()
    }
}

/// The request options that are the same for every batch of a job.
#[derive(Clone, Debug, Default)]
pub struct BodyOptions {
    /// Cohere's `input_type` (Titan has none).
    pub input_type: String,
    /// Cohere's `truncate` (`NONE`, `START`, `END`), sent only when given.
    pub truncate: Option<String>,
    /// Titan's `normalize`.
    pub normalize: bool,
    /// Extra members merged into every request body (they win over ours).
    pub extra: Map<String, Value>,
}

/// The InvokeModel body for `texts` (one text for Titan).
pub fn request_body(layout: &Layout, texts: &[String], options: &BodyOptions) -> Vec<u8> {
    let mut body = match layout.family {
        Family::CohereV3 | Family::CohereV4 => {
            let mut body = Map::new();
            body.insert("texts".into(), json!(texts));
            body.insert("input_type".into(), json!(options.input_type));
            body.insert("embedding_types".into(), json!([layout.embedding_type]));
            if layout.family == Family::CohereV4 {
                body.insert("output_dimension".into(), json!(layout.dimensions));
            }
            if let Some(truncate) = &options.truncate {
                body.insert("truncate".into(), json!(truncate));
            }
            body
        }
        Family::TitanV2 => {
            let mut body = Map::new();
            body.insert(
                "inputText".into(),
                json!(texts.first().map(String::as_str).unwrap_or_default()),
            );
            body.insert("dimensions".into(), json!(layout.dimensions));
            body.insert("normalize".into(), json!(options.normalize));
            if layout.embedding_type != "float" {
                body.insert("embeddingTypes".into(), json!([layout.embedding_type]));
            }
            body
        }
    };
    for (key, value) in &options.extra {
        body.insert(key.clone(), value.clone());
    }
    serde_json::to_vec(&body).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_from_ids_profiles_and_arns() {
        assert_eq!(
            Family::detect("global.cohere.embed-v4:0"),
            Some(Family::CohereV4)
        );
        assert_eq!(
            Family::detect("cohere.embed-multilingual-v3"),
            Some(Family::CohereV3)
        );
        assert_eq!(
            Family::detect(
                "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0"
            ),
            Some(Family::TitanV2)
        );
        assert_eq!(Family::detect("amazon.titan-embed-text-v1"), None);
        assert_eq!(Family::detect("anthropic.claude-3-haiku"), None);
    }

    #[test]
    fn layouts() {
        let l = Layout::new(Family::CohereV4, "ubinary", 1024).unwrap();
        assert_eq!((l.columns, l.element), (128, Element::U8));
        let l = Layout::new(Family::TitanV2, "binary", 256).unwrap();
        assert_eq!((l.columns, l.element), (256, Element::U8));
        assert!(Layout::new(Family::CohereV3, "float", 1536).is_err());
        assert!(Layout::new(Family::TitanV2, "int8", 1024).is_err());
        assert!(Layout::new(Family::CohereV4, "half", 1024).is_err());
    }

    #[test]
    fn bodies() {
        let options = BodyOptions {
            input_type: "search_query".into(),
            normalize: true,
            ..BodyOptions::default()
        };
        let texts = vec!["a".to_owned(), "b".to_owned()];
        let cohere = Layout::new(Family::CohereV3, "int8", 1024).unwrap();
        let body: Value = serde_json::from_slice(&request_body(&cohere, &texts, &options)).unwrap();
        assert_eq!(
            body,
            json!({"texts": ["a", "b"], "input_type": "search_query", "embedding_types": ["int8"]})
        );
        let titan = Layout::new(Family::TitanV2, "float", 512).unwrap();
        let body: Value =
            serde_json::from_slice(&request_body(&titan, &texts[..1], &options)).unwrap();
        assert_eq!(
            body,
            json!({"inputText": "a", "dimensions": 512, "normalize": true})
        );
    }
}
