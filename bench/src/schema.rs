//! The three tables of the IoT data set: names, columns, Kusto types. Other tools (the peers, the
//! answer checker, the query suite) depend on these exactly, so they are written once, here.

/// A column's type: the Kusto name and how files carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// Kusto `datetime`: ISO 8601 text with milliseconds; Parquet timestamp(ns, UTC).
    DateTime,
    String,
    /// Kusto `real`, generated with this many decimals so every format holds the same f64.
    Real {
        decimals: u32,
    },
    /// Kusto `long`.
    Long,
}

impl ColumnType {
    pub fn kusto_name(self) -> &'static str {
        match self {
            ColumnType::DateTime => "datetime",
            ColumnType::String => "string",
            ColumnType::Real { .. } => "real",
            ColumnType::Long => "long",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub column_type: ColumnType,
}

const fn column(name: &'static str, column_type: ColumnType) -> Column {
    Column { name, column_type }
}

const fn real(name: &'static str, decimals: u32) -> Column {
    column(name, ColumnType::Real { decimals })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableSchema {
    pub name: &'static str,
    pub columns: &'static [Column],
}

impl TableSchema {
    /// `.create table name (a:type, ...)`.
    pub fn create_command(&self, table_name: &str) -> String {
        let columns: Vec<String> = self
            .columns
            .iter()
            .map(|column| format!("{}:{}", column.name, column.column_type.kusto_name()))
            .collect();
        format!(".create table {table_name} ({})", columns.join(", "))
    }
}

pub const READINGS: TableSchema = TableSchema {
    name: "readings",
    columns: &[
        column("ts", ColumnType::DateTime),
        column("name", ColumnType::String),
        column("fleet", ColumnType::String),
        column("driver", ColumnType::String),
        column("model", ColumnType::String),
        column("device_version", ColumnType::String),
        real("latitude", 5),
        real("longitude", 5),
        real("elevation", 1),
        real("velocity", 2),
        real("heading", 1),
        real("grade", 2),
        real("fuel_consumption", 2),
    ],
};

pub const DIAGNOSTICS: TableSchema = TableSchema {
    name: "diagnostics",
    columns: &[
        column("ts", ColumnType::DateTime),
        column("name", ColumnType::String),
        column("fleet", ColumnType::String),
        column("driver", ColumnType::String),
        column("model", ColumnType::String),
        real("fuel_state", 3),
        real("current_load", 1),
        column("status", ColumnType::Long),
    ],
};

pub const TAGS: TableSchema = TableSchema {
    name: "tags",
    columns: &[
        column("name", ColumnType::String),
        column("fleet", ColumnType::String),
        column("driver", ColumnType::String),
        column("model", ColumnType::String),
        column("device_version", ColumnType::String),
        real("load_capacity", 0),
        real("fuel_capacity", 0),
        real("nominal_fuel_consumption", 1),
    ],
};

pub const TABLES: [TableSchema; 3] = [READINGS, DIAGNOSTICS, TAGS];

#[cfg(test)]
mod tests {
    use super::*;

    // Proves the create command spells the contract's column list.
    #[test]
    fn create_command_lists_columns_in_order() {
        assert_eq!(
            DIAGNOSTICS.create_command("diagnostics"),
            ".create table diagnostics (ts:datetime, name:string, fleet:string, driver:string, model:string, fuel_state:real, current_load:real, status:long)"
        );
        assert_eq!(READINGS.columns.len(), 13);
        assert_eq!(TAGS.columns.len(), 8);
    }
}
