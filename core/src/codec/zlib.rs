//! zlib (RFC 1950) with a hard cap on the inflated size, so a compression bomb costs nothing.

use miniz_oxide::inflate::TINFLStatus;
use miniz_oxide::inflate::core::{DecompressorOxide, decompress, inflate_flags};

#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InflateError {
    /// dgc-testdata common/Z2: an uncompressed COSE structure is not a pass.
    #[error("the data is not zlib-compressed (no valid zlib header)")]
    NotZlib,
    #[error("the compressed data would inflate beyond {limit} bytes")]
    TooLarge { limit: usize },
    #[error("the compressed data ends before the end of the zlib stream")]
    Truncated,
    /// dgc-testdata common/Z1: a broken deflate stream or checksum.
    #[error("the zlib stream is corrupt ({detail})")]
    Corrupt { detail: &'static str },
    /// Bytes after the end of the stream: a signed pass never has them, and accepting them
    /// would let two different texts carry the same pass.
    #[error("{count} unexpected bytes follow the end of the zlib stream")]
    TrailingBytes { count: usize },
}

/// Inflates a zlib stream, refusing to produce more than `limit` bytes and refusing any byte
/// after the end of the stream.
pub fn inflate(compressed: &[u8], limit: usize) -> Result<Vec<u8>, InflateError> {
    if !has_zlib_header(compressed) {
        return Err(InflateError::NotZlib);
    }
    let flags = inflate_flags::TINFL_FLAG_PARSE_ZLIB_HEADER
        | inflate_flags::TINFL_FLAG_COMPUTE_ADLER32
        | inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
    let mut decompressor = Box::<DecompressorOxide>::default();
    // Start small (a pass is about 1 kB) and grow by doubling up to the limit.
    let mut output = vec![0u8; compressed.len().saturating_mul(4).max(256).min(limit.max(1))];
    let mut input = compressed;
    let mut written = 0;
    loop {
        let (status, consumed, produced) = decompress(&mut decompressor, input, &mut output, written, flags);
        written += produced;
        input = input.get(consumed..).unwrap_or_default();
        match status {
            TINFLStatus::Done => {
                if written > limit {
                    return Err(InflateError::TooLarge { limit });
                }
                if !input.is_empty() {
                    return Err(InflateError::TrailingBytes { count: input.len() });
                }
                output.truncate(written);
                return Ok(output);
            }
            TINFLStatus::HasMoreOutput => {
                if output.len() >= limit {
                    return Err(InflateError::TooLarge { limit });
                }
                let grown = output.len().saturating_mul(2).min(limit);
                output.resize(grown, 0);
            }
            TINFLStatus::FailedCannotMakeProgress | TINFLStatus::NeedsMoreInput => {
                return Err(InflateError::Truncated);
            }
            TINFLStatus::Adler32Mismatch => return Err(InflateError::Corrupt { detail: "checksum mismatch" }),
            _ => return Err(InflateError::Corrupt { detail: "invalid deflate data" }),
        }
    }
}

/// Deflates into a zlib stream at the highest compression level (a pass is read far more
/// often than it is written, and every byte saved shrinks the QR code).
pub fn deflate(data: &[u8]) -> Vec<u8> {
    deflate_with_level(data, 9)
}

/// Deflates at a given level (0–10): pictures of codes are large and highly redundant, where
/// a fast level compresses nearly as well.
pub fn deflate_with_level(data: &[u8], level: u8) -> Vec<u8> {
    use miniz_oxide::DataFormat;
    use miniz_oxide::deflate::core::{CompressorOxide, TDEFLFlush, TDEFLStatus, compress};
    thread_local! {
        // One compressor per thread, reset between passes: a fresh one allocates and zeroes
        // about 150 kB of tables, which was most of the cost of deflating a 300-byte pass
        // (the issuer service's profile, bench/ issuer).
        static COMPRESSOR: std::cell::RefCell<Option<Box<CompressorOxide>>> = const { std::cell::RefCell::new(None) };
    }
    let reused = COMPRESSOR.with(|cell| {
        let mut slot = cell.try_borrow_mut().ok()?;
        let compressor = slot.get_or_insert_with(Box::default);
        compressor.reset();
        compressor.set_format_and_level(DataFormat::Zlib, level);
        let mut output = vec![0u8; (data.len() / 2).max(64)];
        let (mut input, mut written) = (data, 0usize);
        loop {
            let (status, consumed, produced) =
                compress(compressor, input, output.get_mut(written..)?, TDEFLFlush::Finish);
            written += produced;
            match status {
                TDEFLStatus::Done => {
                    output.truncate(written);
                    return Some(output);
                }
                TDEFLStatus::Okay => {
                    input = input.get(consumed..)?;
                    if output.len() - written < 64 {
                        output.resize(output.len() * 2, 0);
                    }
                }
                _ => return None,
            }
        }
    });
    reused.unwrap_or_else(|| miniz_oxide::deflate::compress_to_vec_zlib(data, level))
}

/// RFC 1950 §2.2: CM = 8 (deflate), CINFO <= 7, FCHECK makes the header a multiple of 31,
/// no preset dictionary.
fn has_zlib_header(data: &[u8]) -> bool {
    match *data {
        [cmf, flg, ..] => {
            cmf & 0x0f == 8 && cmf >> 4 <= 7 && (u16::from(cmf) * 256 + u16::from(flg)) % 31 == 0 && flg & 0x20 == 0
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_caps_output() {
        let data = vec![b'x'; 10_000];
        let compressed = deflate(&data);
        assert!(compressed.len() < 100);
        assert_eq!(inflate(&compressed, 10_000).unwrap(), data);
        assert_eq!(inflate(&compressed, 9_999), Err(InflateError::TooLarge { limit: 9_999 }));
    }

    #[test]
    fn names_each_kind_of_damage() {
        let compressed = deflate(b"a health pass payload, repeated, repeated, repeated");
        assert_eq!(inflate(b"\xd2\x84\x43\xa1", 1000), Err(InflateError::NotZlib));
        assert_eq!(inflate(&[], 1000), Err(InflateError::NotZlib));
        assert_eq!(inflate(&compressed[..compressed.len() - 6], 1000), Err(InflateError::Truncated));
        let mut bad_checksum = compressed.clone();
        let last = bad_checksum.len() - 1;
        bad_checksum[last] ^= 1;
        assert!(matches!(inflate(&bad_checksum, 1000), Err(InflateError::Corrupt { .. })));
    }

    #[test]
    fn refuses_bytes_after_the_stream() {
        let data = b"a health pass payload, repeated, repeated, repeated".to_vec();
        for junk in [&b"\0"[..], b"HC1", &[0xff; 40]] {
            let mut compressed = deflate(&data);
            compressed.extend_from_slice(junk);
            assert_eq!(inflate(&compressed, 1000), Err(InflateError::TrailingBytes { count: junk.len() }));
        }
        // A second zlib stream glued on is trailing data too.
        let mut two = deflate(&data);
        two.extend(deflate(b"another"));
        assert!(matches!(inflate(&two, 1000), Err(InflateError::TrailingBytes { .. })));
        // Exactly at the limit is fine, one byte less is not.
        assert_eq!(inflate(&deflate(&data), data.len()).unwrap(), data);
        assert_eq!(inflate(&deflate(&data), data.len() - 1), Err(InflateError::TooLarge { limit: data.len() - 1 }));
    }

    #[test]
    fn a_reused_compressor_gives_the_same_bytes_as_a_fresh_one() {
        let inputs: [Vec<u8>; 4] = [
            Vec::new(),
            b"a health pass payload".to_vec(),
            (0..5_000u32).flat_map(|n| n.to_le_bytes()).collect(),
            vec![b'x'; 100_000],
        ];
        for level in [1, 6, 9] {
            for input in inputs.iter().chain(inputs.iter()) {
                assert_eq!(deflate_with_level(input, level), miniz_oxide::deflate::compress_to_vec_zlib(input, level));
            }
        }
    }
}
