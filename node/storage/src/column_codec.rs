//! One column of an extent as one stored value: an Arrow IPC stream (schema message, one
//! RecordBatch with a single column, end-of-stream marker), buffers compressed with LZ4 (frame
//! format). Values written before LZ4 was chosen hold zstd buffers; the IPC reader decodes either,
//! as each message names its codec, and a merge rewrites them as LZ4.
//! Also the checksum the header keeps per value.
//!
//! Does not own: which key a value lives under (`keys`) or checking it against the header (`store`).

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch};
use arrow::buffer::Buffer;
use arrow::datatypes::Schema;
use arrow::error::ArrowError;
use arrow::ipc::CompressionType;
use arrow::ipc::reader::StreamDecoder;
use arrow::ipc::writer::{IpcWriteOptions, StreamWriter};
use tarn_common::Column;

/// The codec new column values are written with.
pub const COLUMN_COMPRESSION: CompressionType = CompressionType::LZ4_FRAME;

/// Encodes one column as an IPC stream. Arrow keeps a buffer uncompressed when LZ4 would not
/// shrink it, so already-dense data costs no decompression on read.
///
/// Why LZ4 and not zstd: every scan decompresses the columns it reads, and with zstd that was
/// most of a scan's time (58% of the CPU profile of `readings | where velocity > 50 | count`).
/// LZ4 decompresses several times faster for somewhat larger values; see `COLUMN_COMPRESSION`.
pub fn encode_column(column: &Column, array: &ArrayRef) -> Result<Vec<u8>, ArrowError> {
    encode_column_with(column, array, COLUMN_COMPRESSION)
}

fn encode_column_with(column: &Column, array: &ArrayRef, codec: CompressionType) -> Result<Vec<u8>, ArrowError> {
    let schema = Arc::new(Schema::new(vec![column.arrow_field()]));
    let batch = RecordBatch::try_new(schema.clone(), vec![array.clone()])?;
    let options = IpcWriteOptions::default().try_with_compression(Some(codec))?;
    let mut writer = StreamWriter::try_new_with_options(Vec::new(), &schema, options)?;
    writer.write(&batch)?;
    writer.finish()?;
    writer.into_inner()
}

/// Decodes a value written by [`encode_column`]. The bytes become an Arrow `Buffer` without a
/// copy, and uncompressed, aligned buffers are sliced from it rather than copied again.
pub fn decode_column(bytes: Vec<u8>) -> Result<ArrayRef, ArrowError> {
    let mut buffer = Buffer::from_vec(bytes);
    let mut decoder = StreamDecoder::new();
    let Some(batch) = decoder.decode(&mut buffer)? else {
        return Err(ArrowError::IpcError("column value holds no record batch".to_string()));
    };
    if decoder.decode(&mut buffer)?.is_some() {
        return Err(ArrowError::IpcError("column value holds more than one record batch".to_string()));
    }
    decoder.finish()?;
    if batch.num_columns() != 1 {
        return Err(ArrowError::IpcError(format!(
            "column value holds {} columns, expected 1",
            batch.num_columns()
        )));
    }
    Ok(batch.column(0).clone())
}

/// CRC-32 (IEEE) of a stored value; `flate2` is already a workspace dependency and its CRC is
/// hardware-accelerated, so no checksum crate is added.
pub fn checksum(bytes: &[u8]) -> u32 {
    let mut crc = flate2::Crc::new();
    crc.update(bytes);
    crc.sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, Int64Array};
    use tarn_common::KustoType;

    /// Proves a column survives encode/decode unchanged, nulls included, and that a truncated
    /// value is an error rather than a panic or a short array.
    #[test]
    fn column_round_trips_and_truncation_fails() -> Result<(), ArrowError> {
        let column = Column::new("x", KustoType::Long);
        let array: ArrayRef = Arc::new(Int64Array::from(vec![Some(1), None, Some(-5)]));
        let bytes = encode_column(&column, &array)?;
        let decoded = decode_column(bytes.clone())?;
        assert_eq!(decoded.as_ref(), array.as_ref());
        assert_eq!(decoded.null_count(), 1);

        let truncated = bytes.get(..bytes.len() / 2).unwrap_or_default().to_vec();
        assert!(decode_column(truncated).is_err());
        Ok(())
    }

    /// Proves values written with zstd (every extent stored before LZ4 became the codec) still
    /// decode, and that new values are LZ4: a long, compressible column shrinks either way.
    #[test]
    fn zstd_values_still_decode() -> Result<(), ArrowError> {
        let column = Column::new("x", KustoType::Long);
        let array: ArrayRef = Arc::new(Int64Array::from_iter_values((0..10_000).map(|value| value % 7)));
        let raw_bytes = 10_000 * 8;
        for codec in [CompressionType::ZSTD, CompressionType::LZ4_FRAME] {
            let bytes = encode_column_with(&column, &array, codec)?;
            assert!(bytes.len() < raw_bytes / 4, "{codec:?}: {} bytes", bytes.len());
            assert_eq!(decode_column(bytes)?.as_ref(), array.as_ref(), "{codec:?}");
        }
        assert_eq!(encode_column(&column, &array)?, encode_column_with(&column, &array, CompressionType::LZ4_FRAME)?);
        Ok(())
    }

    /// Proves the checksum is the standard CRC-32 (check value of "123456789" is 0xCBF43926).
    #[test]
    fn checksum_is_crc32_ieee() {
        assert_eq!(checksum(b"123456789"), 0xCBF4_3926);
    }
}
