//! Keys and values of stored pairs, checked for size and alphabet before any crypto or I/O.

use std::fmt;

/// Longest key, in characters (keys are ASCII, so also bytes).
pub const MAX_KEY_CHARS: usize = 64;

/// A storage key: 1–64 printable ASCII characters (0x20–0x7E, space included).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("key must not be empty")]
    Empty,
    #[error("key must be at most {MAX_KEY_CHARS} characters")]
    TooLong,
    #[error("key must be printable ASCII (0x20-0x7E)")]
    NotPrintable,
}

impl Key {
    pub fn parse(text: &str) -> Result<Key, KeyError> {
        if text.is_empty() {
            return Err(KeyError::Empty);
        }
        if text.len() > MAX_KEY_CHARS {
            return Err(KeyError::TooLong);
        }
        if !text.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
            return Err(KeyError::NotPrintable);
        }
        Ok(Key(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A stored value: any UTF-8 text (NUL included) of at most the configured size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("value must be at most {limit} UTF-8 bytes, got {actual}")]
pub struct ValueError {
    pub limit: usize,
    pub actual: usize,
}

impl Value {
    pub fn parse(text: String, max_bytes: usize) -> Result<Value, ValueError> {
        if text.len() > max_bytes {
            return Err(ValueError {
                limit: max_bytes,
                actual: text.len(),
            });
        }
        Ok(Value(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_accepts_space_and_tilde_and_rejects_control_and_non_ascii() {
        assert!(Key::parse(" ~").is_ok());
        assert_eq!(Key::parse(""), Err(KeyError::Empty));
        assert_eq!(Key::parse("a\u{0}"), Err(KeyError::NotPrintable));
        assert_eq!(Key::parse("a\n"), Err(KeyError::NotPrintable));
        assert_eq!(Key::parse("é"), Err(KeyError::NotPrintable));
        assert!(Key::parse(&"k".repeat(64)).is_ok());
        assert_eq!(Key::parse(&"k".repeat(65)), Err(KeyError::TooLong));
    }

    #[test]
    fn value_limit_counts_utf8_bytes_not_characters() {
        assert!(Value::parse("é".repeat(4), 8).is_ok());
        let err = Value::parse("é".repeat(5), 8).unwrap_err();
        assert_eq!(err.actual, 10);
    }
}
