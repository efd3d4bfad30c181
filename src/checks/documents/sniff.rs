//! What the bytes are, by their first bytes (magic numbers): PDF, TIFF,
//! JPEG, PNG and plain text. Other types are not judged.

/// A file type told by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    Pdf,
    Tiff,
    Jpeg,
    Png,
    Text,
    /// None of the above.
    Other,
}

impl Sniffed {
    /// The type a MIME type claims, if it is one the magic bytes can confirm.
    pub fn claimed(content_type: &str) -> Option<Sniffed> {
        match essence(content_type).as_str() {
            "application/pdf" => Some(Sniffed::Pdf),
            "image/tiff" => Some(Sniffed::Tiff),
            "image/jpeg" | "image/jpg" => Some(Sniffed::Jpeg),
            "image/png" => Some(Sniffed::Png),
            "text/plain" => Some(Sniffed::Text),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sniffed::Pdf => "PDF",
            Sniffed::Tiff => "TIFF",
            Sniffed::Jpeg => "JPEG",
            Sniffed::Png => "PNG",
            Sniffed::Text => "text",
            Sniffed::Other => "unrecognized bytes",
        }
    }
}

/// `Application/PDF; charset=x` → `application/pdf`.
pub(crate) fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// The type of a file from its first bytes (512 are plenty). An empty file is `Other`.
pub fn sniff(head: &[u8]) -> Sniffed {
    if head.starts_with(b"%PDF-") {
        Sniffed::Pdf
    } else if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        Sniffed::Tiff
    } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Sniffed::Jpeg
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Sniffed::Png
    } else if !head.is_empty() && is_text(head) {
        Sniffed::Text
    } else {
        Sniffed::Other
    }
}

/// No NUL and no control bytes but tab, newlines, form feed and escape:
/// text in any ASCII-compatible encoding.
fn is_text(head: &[u8]) -> bool {
    head.iter()
        .all(|&b| b >= 0x20 || matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes_tell_the_five_types() {
        assert_eq!(sniff(b"%PDF-1.7\n"), Sniffed::Pdf);
        assert_eq!(sniff(b"II*\0\x08\0\0\0"), Sniffed::Tiff);
        assert_eq!(sniff(b"MM\0*\0\0\0\x08"), Sniffed::Tiff);
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Sniffed::Jpeg);
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0"), Sniffed::Png);
        assert_eq!(sniff("Befund: unauffällig\r\n".as_bytes()), Sniffed::Text);
        assert_eq!(sniff(b"\0\0\0\x01"), Sniffed::Other);
        assert_eq!(sniff(b""), Sniffed::Other);
        assert_eq!(Sniffed::claimed("Application/PDF; x=y"), Some(Sniffed::Pdf));
        assert_eq!(Sniffed::claimed("application/dicom"), None);
    }
}
