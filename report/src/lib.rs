//! One way to print an error for a human.
//!
//! The project's error policy (docs/architecture.md, "Errors"): an error's `Display` says what failed
//! at its own layer and never repeats its cause; the cause is reached through
//! [`std::error::Error::source`]. Whatever prints an error for a person prints the whole chain once:
//! the CLI through anyhow's `{:#}`, libraries (log lines, reply bodies) through [`Report`]. This is
//! rust-bitcoin's `write_err!` policy with `std`.

use std::error::Error;
use std::fmt;

/// Displays an error followed by each of its causes, `": "`-separated, each once.
///
/// A cause whose text is the same as the text just printed (an error that forwards its source's
/// message, as `#[error(transparent)]` does) is not printed again.
#[derive(Clone, Copy)]
pub struct Report<'a>(pub &'a (dyn Error + 'static));

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut last = self.0.to_string();
        f.write_str(&last)?;
        let mut cause = self.0.source();
        while let Some(c) = cause {
            let text = c.to_string();
            if text != last {
                write!(f, ": {text}")?;
            }
            last = text;
            cause = c.source();
        }
        Ok(())
    }
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::Report;

    #[derive(Debug, thiserror::Error)]
    #[error("reading the key file /k")]
    struct Outer(#[source] Middle);

    #[derive(Debug, thiserror::Error)]
    #[error(transparent)]
    struct Middle(#[from] std::io::Error);

    #[test]
    fn prints_each_cause_once_in_order() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let e = Outer(Middle(io));
        assert_eq!(
            Report(&e).to_string(),
            "reading the key file /k: no such file"
        );
    }

    #[test]
    fn an_error_without_source_is_its_message() {
        let io = std::io::Error::other("disk full");
        assert_eq!(Report(&io).to_string(), "disk full");
    }
}
