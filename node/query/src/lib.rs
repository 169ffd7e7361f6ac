//! tarn-query: executes planned KQL over a table's extents.
//!
//! Owns: the DataFusion [`TableProvider`](datafusion::catalog::TableProvider) over extents
//! ([`ExtentTable`]: prunes extents on their metadata, reads only the projected columns, one
//! extent at a time per partition), the view of one database's tables as of a metadata snapshot
//! ([`DatabaseView`], the planner's `TableCatalog`), the pins that keep extents a running query
//! reads from being deleted by a merge or retention ([`ExtentPins`]), and the DataFusion session
//! settings ([`QueryEngine`]: partitions, batch size, memory pool).
//!
//! Does not own: parsing and planning (`tarn-kql`, `tarn-planner`), extent encoding
//! (`tarn-storage`), the catalog's contents (`tarn-meta`), or the wire format.

mod engine;
mod pins;
mod pruning;
mod table;
#[cfg(test)]
mod test_support;
mod view;

pub use engine::{QueryEngine, QueryEngineOptions};
pub use pins::{ExtentPins, PinGuard};
pub use table::ExtentTable;
pub use view::DatabaseView;
