//! Reading Kusto response bodies as they stream in: [`scanner`] cuts the bytes into frames and
//! rows, [`decoder`] turns those into tables of Arrow record batches.

pub(crate) mod decoder;
pub(crate) mod json;
pub(crate) mod scanner;
