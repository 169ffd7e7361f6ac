//! Rows into record batches: holds one builder per table column, cuts a batch every
//! `batch_rows_max` rows, and keeps the account of values stored as null because they did not parse.
//!
//! Does not own: reading any format (the format modules call `column(i)` and `end_row`).

use arrow::datatypes::SchemaRef;
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use tarn_common::Column;
use tarn_common::types::arrow_schema;

use super::column::{Appended, ColumnBuilder};
use super::error::{FormatError, Result, excerpt};
use super::{ParsedBody, ROW_ERRORS_DETAILED_MAX, RowError};

pub(crate) struct BatchAssembler<'schema> {
    schema: &'schema [Column],
    arrow_schema: SchemaRef,
    pub(crate) builders: Vec<ColumnBuilder>,
    batch_rows_max: usize,
    rows_in_batch: usize,
    rows_total: u64,
    batches: Vec<RecordBatch>,
    errors: Vec<RowError>,
    errors_total: u64,
}

impl<'schema> BatchAssembler<'schema> {
    pub(crate) fn new(schema: &'schema [Column], batch_rows_max: usize) -> BatchAssembler<'schema> {
        // A batch of zero rows would never fill; one row per batch is the smallest meaningful limit.
        let batch_rows_max = batch_rows_max.max(1);
        // Builders grow as needed; reserving the full limit up front would waste memory on small bodies.
        let capacity = batch_rows_max.min(1024);
        BatchAssembler {
            schema,
            arrow_schema: arrow_schema(schema),
            builders: schema
                .iter()
                .map(|column| ColumnBuilder::new(column.kusto_type, capacity))
                .collect(),
            batch_rows_max,
            rows_in_batch: 0,
            rows_total: 0,
            batches: Vec::new(),
            errors: Vec::new(),
            errors_total: 0,
        }
    }

    pub(crate) fn arrow_schema(&self) -> &SchemaRef {
        &self.arrow_schema
    }

    /// Notes that the value of `column_index` in record `record_number` did not parse.
    pub(crate) fn note(
        &mut self,
        appended: Appended,
        record_number: u64,
        column_index: usize,
        value: &[u8],
    ) {
        if appended == Appended::Value {
            return;
        }
        self.errors_total += 1;
        if self.errors.len() >= ROW_ERRORS_DETAILED_MAX {
            return;
        }
        let Some(column) = self.schema.get(column_index) else {
            return;
        };
        self.errors.push(RowError {
            record_number,
            column: column.name.clone(),
            kusto_type: column.kusto_type,
            value_excerpt: excerpt(value),
        });
    }

    /// Counts values lost in a bulk conversion (Arrow's `cast`), which cannot say which rows.
    pub(crate) fn note_lost_values(&mut self, count: u64) {
        self.errors_total += count;
    }

    /// Ends the current row; every builder must have had exactly one value appended for it.
    pub(crate) fn end_row(&mut self) -> Result<()> {
        self.rows_in_batch += 1;
        self.rows_total += 1;
        if self.rows_in_batch >= self.batch_rows_max {
            self.flush()?;
        }
        Ok(())
    }

    /// Adds a batch built elsewhere (Parquet), already in the table's schema.
    pub(crate) fn push_batch(&mut self, batch: RecordBatch) {
        self.rows_total += batch.num_rows() as u64;
        self.batches.push(batch);
    }

    fn flush(&mut self) -> Result<()> {
        if self.rows_in_batch == 0 {
            return Ok(());
        }
        let arrays = self
            .builders
            .iter_mut()
            .map(ColumnBuilder::finish)
            .collect::<Vec<_>>();
        let options = RecordBatchOptions::new().with_row_count(Some(self.rows_in_batch));
        let batch = RecordBatch::try_new_with_options(self.arrow_schema.clone(), arrays, &options)
            .map_err(|source| FormatError::BatchAssembly { source })?;
        self.batches.push(batch);
        self.rows_in_batch = 0;
        Ok(())
    }

    pub(crate) fn finish(mut self) -> Result<ParsedBody> {
        self.flush()?;
        debug_assert!(
            self.builders.iter().all(|builder| builder.len() == 0),
            "every builder was flushed"
        );
        Ok(ParsedBody {
            batches: self.batches,
            rows: self.rows_total,
            errors: self.errors,
            errors_total: self.errors_total,
        })
    }
}
