//! Request body decompression. The SDKs gzip streaming-ingest bodies and say so in
//! `Content-Encoding`; some senders omit the header, so the gzip magic bytes count too.
//! Inflation is bounded: a small body must not be able to claim unbounded memory.

use std::borrow::Cow;
use std::io::Read;

use flate2::read::{MultiGzDecoder, ZlibDecoder};

use super::error::{FormatError, Result};

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The body, inflated when `content_encoding` says gzip or deflate or the body starts with the gzip
/// magic bytes; otherwise borrowed as is. More than `bytes_max` inflated bytes is an error.
pub fn decompress_if_gzip<'body>(
    body: &'body [u8],
    content_encoding: Option<&str>,
    bytes_max: usize,
) -> Result<Cow<'body, [u8]>> {
    let encoding = content_encoding.map(|encoding| encoding.trim().to_ascii_lowercase());
    match encoding.as_deref() {
        Some("gzip" | "x-gzip") => {
            inflate(MultiGzDecoder::new(body), "gzip", bytes_max).map(Cow::Owned)
        }
        Some("deflate") => inflate(ZlibDecoder::new(body), "deflate", bytes_max).map(Cow::Owned),
        None | Some("" | "identity") => {
            if body.starts_with(&GZIP_MAGIC) {
                inflate(MultiGzDecoder::new(body), "gzip", bytes_max).map(Cow::Owned)
            } else {
                Ok(Cow::Borrowed(body))
            }
        }
        Some(other) => Err(FormatError::UnsupportedContentEncoding {
            encoding: other.to_owned(),
        }),
    }
}

fn inflate(decoder: impl Read, encoding: &'static str, bytes_max: usize) -> Result<Vec<u8>> {
    let mut inflated = Vec::new();
    // Reading one byte past the limit tells "exactly at the limit" from "over it".
    let read_max = u64::try_from(bytes_max)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    decoder
        .take(read_max)
        .read_to_end(&mut inflated)
        .map_err(|source| FormatError::Decompression { encoding, source })?;
    if inflated.len() > bytes_max {
        return Err(FormatError::InflatedBodyTooLarge { bytes_max });
    }
    Ok(inflated)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::Compression;
    use flate2::write::GzEncoder;

    use super::*;

    fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(bytes)?;
        encoder.finish()
    }

    /// Proves a gzip body round-trips whether the header or only the magic bytes announce it, and a
    /// plain body is borrowed untouched.
    #[test]
    fn gzip_round_trip() -> std::result::Result<(), Box<dyn std::error::Error>> {
        let text = b"a,b\n1,2\n".repeat(100);
        let compressed = gzip(&text)?;
        assert_eq!(
            decompress_if_gzip(&compressed, Some("gzip"), 1 << 20)?.as_ref(),
            text.as_slice()
        );
        assert_eq!(
            decompress_if_gzip(&compressed, Some(" GZip "), 1 << 20)?.as_ref(),
            text.as_slice()
        );
        assert_eq!(
            decompress_if_gzip(&compressed, None, 1 << 20)?.as_ref(),
            text.as_slice()
        );
        let plain = decompress_if_gzip(&text, None, 10)?;
        assert!(matches!(plain, Cow::Borrowed(_)));
        Ok(())
    }

    /// Proves inflation stops at the limit: a 10 MB body of zeros (a few KB compressed) is refused
    /// under a 1 MB limit, and a body of exactly the limit is accepted.
    #[test]
    fn inflation_is_bounded() -> std::result::Result<(), Box<dyn std::error::Error>> {
        let bomb = gzip(&vec![0u8; 10 * 1024 * 1024])?;
        assert!(bomb.len() < 64 * 1024);
        let refused = decompress_if_gzip(&bomb, Some("gzip"), 1024 * 1024);
        assert!(matches!(
            refused,
            Err(FormatError::InflatedBodyTooLarge {
                bytes_max: 1_048_576
            })
        ));
        let exact = gzip(&[7u8; 1000])?;
        assert_eq!(decompress_if_gzip(&exact, None, 1000)?.len(), 1000);
        assert!(matches!(
            decompress_if_gzip(&exact, None, 999),
            Err(FormatError::InflatedBodyTooLarge { .. })
        ));
        Ok(())
    }

    /// Proves a body that claims gzip but is not gzip, and an unknown encoding, are errors.
    #[test]
    fn bad_encodings_are_errors() {
        assert!(matches!(
            decompress_if_gzip(b"plain", Some("gzip"), 100),
            Err(FormatError::Decompression { .. })
        ));
        assert!(matches!(
            decompress_if_gzip(b"plain", Some("br"), 100),
            Err(FormatError::UnsupportedContentEncoding { .. })
        ));
    }
}
