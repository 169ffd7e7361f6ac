//! The key layout of the `extents` column family: `extent id (16 bytes BE) ++ column index (4 bytes BE)`.
//! Big-endian so that RocksDB's bytewise order is (extent, column) order and an extent's values
//! form one contiguous range ending with its header.

use tarn_common::ExtentId;

pub const EXTENT_KEY_BYTES: usize = 20;
/// The header is the last key of an extent, so a reverse scan meets headers before columns.
pub const HEADER_COLUMN_INDEX: u32 = u32::MAX;

pub fn extent_key(extent: ExtentId, column_index: u32) -> [u8; EXTENT_KEY_BYTES] {
    let mut key = [0u8; EXTENT_KEY_BYTES];
    key[..16].copy_from_slice(&extent.0.to_be_bytes());
    key[16..].copy_from_slice(&column_index.to_be_bytes());
    key
}

pub fn header_key(extent: ExtentId) -> [u8; EXTENT_KEY_BYTES] {
    extent_key(extent, HEADER_COLUMN_INDEX)
}

/// The exclusive end of an extent's key range: one byte longer than its header key, so it sorts
/// after every key of the extent and before every key of the next one, even for `u128::MAX`.
pub fn extent_range_end(extent: ExtentId) -> [u8; EXTENT_KEY_BYTES + 1] {
    let mut end = [0u8; EXTENT_KEY_BYTES + 1];
    end[..EXTENT_KEY_BYTES].copy_from_slice(&header_key(extent));
    end
}

pub fn parse_extent_key(key: &[u8]) -> Option<(ExtentId, u32)> {
    let id_bytes: [u8; 16] = key.get(..16)?.try_into().ok()?;
    let index_bytes: [u8; 4] = key.get(16..)?.try_into().ok()?;
    Some((ExtentId(u128::from_be_bytes(id_bytes)), u32::from_be_bytes(index_bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Proves keys sort by (extent, column) with the header last, and the range end lies strictly
    /// between an extent's header and the next extent's first column.
    #[test]
    fn keys_sort_by_extent_then_column() {
        let first = ExtentId(7);
        let second = ExtentId(8);
        assert!(extent_key(first, 0) < extent_key(first, 1));
        assert!(extent_key(first, 1) < header_key(first));
        assert!(header_key(first).as_slice() < extent_range_end(first).as_slice());
        assert!(extent_range_end(first).as_slice() < extent_key(second, 0).as_slice());
        assert!(header_key(ExtentId(u128::MAX)).as_slice() < extent_range_end(ExtentId(u128::MAX)).as_slice());
        assert_eq!(parse_extent_key(&extent_key(first, 3)), Some((first, 3)));
        assert_eq!(parse_extent_key(&[0u8; 19]), None);
        assert_eq!(parse_extent_key(&[0u8; 21]), None);
    }
}
