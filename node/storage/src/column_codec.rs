//! One column of an extent as one stored value: an Arrow IPC stream (schema message, one
//! RecordBatch with a single column, end-of-stream marker), buffers compressed with zstd.
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

/// Encodes one column as an IPC stream. Arrow keeps a buffer uncompressed when zstd would not
/// shrink it, so already-dense data costs no decompression on read.
pub fn encode_column(column: &Column, array: &ArrayRef) -> Result<Vec<u8>, ArrowError> {
    let schema = Arc::new(Schema::new(vec![column.arrow_field()]));
    let batch = RecordBatch::try_new(schema.clone(), vec![array.clone()])?;
    let options = IpcWriteOptions::default().try_with_compression(Some(CompressionType::ZSTD))?;
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

    /// Proves the checksum is the standard CRC-32 (check value of "123456789" is 0xCBF43926).
    #[test]
    fn checksum_is_crc32_ieee() {
        assert_eq!(checksum(b"123456789"), 0xCBF4_3926);
    }
}
