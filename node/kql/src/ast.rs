//! The KQL syntax tree. Every node carries the [`Span`] of the text it came from, so a later stage
//! (name resolution, typing, execution) can point its diagnostics at the right token.
//!
//! Kusto's grammar has one kind of expression: tabular and scalar expressions share it, and only
//! name resolution tells them apart (`T` may be a table or a scalar `let`). The tree keeps that
//! shape: a pipeline is an [`ExprKind::Pipeline`], a `datatable` is an [`ExprKind::Datatable`], and
//! the planner decides what each name means.

/// Byte offsets `[start, end)` into the query text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start: start as u32, end: end as u32 }
    }
    pub fn to(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A whole request: statements separated by `;`. The tabular statements (usually the last one)
/// are the results.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub statements: Vec<Statement>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    /// `let name = value`
    Let { name: Ident, value: LetValue, span: Span },
    /// `set name [= value]` — a request option.
    Set { name: Ident, value: Option<Expr>, span: Span },
    /// `declare query_parameters (name:type [= default], ...)`
    DeclareQueryParameters { params: Vec<Param>, span: Span },
    /// A query expression (tabular or, in function bodies, scalar).
    Expr(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub enum LetValue {
    Expr(Expr),
    /// `(params) { statements; expr }`, possibly `view (...) {...}`.
    Function(FunctionDef),
}

#[derive(Debug, Clone, PartialEq)]
pub struct FunctionDef {
    pub params: Vec<Param>,
    /// `let`s and then exactly one final `Statement::Expr` (the function's value).
    pub body: Vec<Statement>,
    pub is_view: bool,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: Ident,
    pub ty: ParamType,
    pub default: Option<Expr>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ParamType {
    Scalar(TypeName),
    /// `T:(*)` is `Tabular(None)`; `T:(x:long, y:string)` lists the required columns.
    Tabular(Option<Vec<ColumnDecl>>),
}

/// `name:type`, in `datatable`, `.create table`, tabular parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDecl {
    pub name: Ident,
    pub ty: TypeName,
}

/// KQL scalar types. Aliases (`boolean`, `int64`, `double`, `date`, `time`, `uuid`, `uniqueid`,
/// `int32`) are folded in by the parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TypeName {
    Bool,
    Int,
    Long,
    Real,
    Decimal,
    String,
    DateTime,
    TimeSpan,
    Guid,
    Dynamic,
}

impl TypeName {
    /// The Kusto name, as `getschema` and the wire protocol print it.
    pub fn kusto_name(self) -> &'static str {
        match self {
            TypeName::Bool => "bool",
            TypeName::Int => "int",
            TypeName::Long => "long",
            TypeName::Real => "real",
            TypeName::Decimal => "decimal",
            TypeName::String => "string",
            TypeName::DateTime => "datetime",
            TypeName::TimeSpan => "timespan",
            TypeName::Guid => "guid",
            TypeName::Dynamic => "dynamic",
        }
    }

    /// Parses a type name or alias, case-sensitively as Kusto does (`long`, `int64`, ...).
    pub fn parse(text: &str) -> Option<TypeName> {
        Some(match text {
            "bool" | "boolean" => TypeName::Bool,
            "int" | "int32" => TypeName::Int,
            "long" | "int64" => TypeName::Long,
            "real" | "double" => TypeName::Real,
            "decimal" => TypeName::Decimal,
            "string" => TypeName::String,
            "datetime" | "date" => TypeName::DateTime,
            "timespan" | "time" => TypeName::TimeSpan,
            "guid" | "uuid" | "uniqueid" => TypeName::Guid,
            "dynamic" => TypeName::Dynamic,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Literal(Literal),
    /// A column, a `let` name, a table, a query parameter.
    Name(Ident),
    /// `base.name`: dynamic property access, or `$left.x` / `$right.x` in join conditions
    /// (then `base` is `Name("$left")`).
    Member { base: Box<Expr>, name: Ident },
    /// `base[index]`: dynamic array index or property by string.
    Index { base: Box<Expr>, index: Box<Expr> },
    /// `name(args)`: scalar and aggregate functions, user functions, `table('T')`, `toscalar(...)`.
    Call { name: Ident, args: Vec<Expr> },
    /// `*` as a function argument: `count(*)`, `arg_max(ts, *)`, `take_any(*)`.
    Star,
    Unary { op: UnaryOp, operand: Box<Expr> },
    Binary { op: BinaryOp, left: Box<Expr>, right: Box<Expr> },
    /// `expr [!]in[~] (a, b, ...)`; an element may be a tabular expression (`in (T | project x)`).
    /// Also `has_any` / `has_all` with `kind` telling which.
    InList { expr: Box<Expr>, kind: InKind, negated: bool, list: Vec<Expr> },
    /// `expr [!]between (low .. high)`
    Between { expr: Box<Expr>, low: Box<Expr>, high: Box<Expr>, negated: bool },
    /// `source | op | op ...`
    Pipeline { source: Box<Expr>, operators: Vec<Operator> },
    /// `datatable (a:int, b:string) [1, "x", 2, "y"]`
    Datatable { columns: Vec<ColumnDecl>, values: Vec<Expr> },
    /// `range x from 1 to 10 step 1`
    Range { column: Ident, from: Box<Expr>, to: Box<Expr>, step: Box<Expr> },
    /// `print x = 1, 2` (as a source)
    Print { columns: Vec<NamedExpr> },
    /// `union ...` as a source (the first statement of a pipeline).
    Union(UnionSpec),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InKind {
    /// `in`: case-sensitive equality
    In,
    /// `in~`: case-insensitive equality
    InCaseInsensitive,
    /// `has_any`
    HasAny,
    /// `has_all`
    HasAll,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `true`, `false`, `bool(null)`
    Bool(Option<bool>),
    /// `int(5)`, `int(null)`
    Int(Option<i32>),
    /// `5`, `long(5)`, `0x1F`, `long(null)`
    Long(Option<i64>),
    /// `1.5`, `1e3`, `real(nan)`, `real(+inf)`, `real(null)`
    Real(Option<f64>),
    /// `decimal(1.5)`: the text as written, `None` for `decimal(null)`.
    Decimal(Option<String>),
    String(String),
    /// `datetime(2024-01-01 10:00)`: the raw text between the parentheses, `None` for null.
    /// Converted (and validated) by the planner.
    DateTime(Option<String>),
    /// `1h`, `1.5d`, `time(1.02:03:04)`: nanoseconds; `None` for `timespan(null)`.
    TimeSpan(Option<i64>),
    /// `guid(...)`: the raw text, `None` for null.
    Guid(Option<String>),
    /// `dynamic(...)`: the raw text between the parentheses (`null`, `[1,2]`, `{"a":1}`).
    Dynamic(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Plus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Eq,
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    /// `=~`
    EqTilde,
    /// `!~`
    NotEqTilde,
    And,
    Or,
    /// String operators: `has`, `!has_cs`, `contains`, `startswith`, `matches regex`, ...
    Str { op: StrOp, negated: bool, case_sensitive: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrOp {
    Has,
    HasPrefix,
    HasSuffix,
    Contains,
    StartsWith,
    EndsWith,
    /// `matches regex` (always case-sensitive, never negated in the grammar)
    MatchesRegex,
}

/// `name = expr` or just `expr` (the planner derives the column name).
#[derive(Debug, Clone, PartialEq)]
pub struct NamedExpr {
    /// More than one for `(a, b) = ...` (arg_max/ parse-like multi-assignments).
    pub names: Vec<Ident>,
    pub expr: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    pub expr: Expr,
    /// Default descending, as in Kusto.
    pub descending: bool,
    /// `None` = Kusto's default: nulls last when descending, first when ascending.
    pub nulls_first: Option<bool>,
}

/// A column name or a wildcard pattern (`a*`, `*_x`) in `project-away`/`project-keep`/`project-reorder`.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnPattern {
    pub pattern: String,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    InnerUnique,
    Inner,
    LeftOuter,
    RightOuter,
    FullOuter,
    LeftSemi,
    RightSemi,
    LeftAnti,
    RightAnti,
}

#[derive(Debug, Clone, PartialEq)]
pub enum JoinOn {
    /// `on x`: the same column on both sides.
    Column(Ident),
    /// `on $left.a == $right.b` (either order).
    Equal { left: Expr, right: Expr },
}

#[derive(Debug, Clone, PartialEq)]
pub struct UnionSpec {
    pub with_source: Option<Ident>,
    /// `kind=outer` (default) keeps all columns; `kind=inner` only the common ones.
    pub inner: bool,
    /// `isfuzzy=true`: tables that do not exist are left out (at least one must exist).
    pub fuzzy: bool,
    pub tables: Vec<Expr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseKind {
    Simple,
    Regex,
    Relaxed,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ParsePart {
    /// A string literal that must appear in the text.
    Literal(String),
    /// `*`: skip any text.
    Star,
    /// `name[:type]`: a column to extract.
    Column { name: Ident, ty: Option<TypeName> },
}

#[derive(Debug, Clone, PartialEq)]
pub struct MvExpandItem {
    /// `name = expr` names the output column; else it is the expression's column.
    pub name: Option<Ident>,
    pub expr: Expr,
    /// `to typeof(long)`
    pub to_type: Option<TypeName>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Operator {
    pub kind: OperatorKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum OperatorKind {
    Where(Expr),
    Project(Vec<NamedExpr>),
    ProjectAway(Vec<ColumnPattern>),
    ProjectKeep(Vec<ColumnPattern>),
    /// `new = old` pairs.
    ProjectRename(Vec<(Ident, Ident)>),
    /// Patterns with an optional order: `Some(true)` for `asc`, `Some(false)` for `desc`
    /// (granny-asc etc. not supported).
    ProjectReorder(Vec<(ColumnPattern, Option<bool>)>),
    Extend(Vec<NamedExpr>),
    Summarize { aggregates: Vec<NamedExpr>, by: Vec<NamedExpr> },
    /// `take`/`limit`
    Take(Expr),
    Top { count: Expr, by: Vec<SortKey> },
    /// `sort by` / `order by`
    Sort(Vec<SortKey>),
    /// `distinct *` is an empty list.
    Distinct(Vec<Expr>),
    Count,
    Join { kind: Option<JoinKind>, right: Expr, on: Vec<JoinOn> },
    Lookup { kind_left_outer: bool, right: Expr, on: Vec<JoinOn> },
    Union(UnionSpec),
    MvExpand { items: Vec<MvExpandItem>, with_itemindex: Option<Ident>, limit: Option<Expr> },
    /// `mv-apply`: per input row, the subquery runs over that row's expanded elements.
    MvApply { items: Vec<MvExpandItem>, with_itemindex: Option<Ident>, limit: Option<Expr>, subquery: Vec<Operator> },
    As(Ident),
    GetSchema,
    Serialize(Vec<NamedExpr>),
    /// `parse` and, with `filter`, `parse-where` (rows that do not match are dropped).
    /// `flags` are kind=regex's regex flags (`U`, `i`, `m`, `s`), empty when not given.
    Parse { kind: ParseKind, flags: String, expr: Expr, parts: Vec<ParsePart>, filter: bool },
    /// `parse-kv expr as (key:type, ...) [with (option = value, ...)]`.
    ParseKv { expr: Expr, keys: Vec<(Ident, TypeName)>, options: Vec<(Ident, Expr)> },
    /// `project-by-names` with its arguments: strings (names or wildcards), dynamic arrays of
    /// names, or calls such as `column_names_of(T)`.
    ProjectByNames(Vec<Expr>),
    /// `render chart [with (k=v, ...)]`: recorded for the client, not a transformation.
    Render { chart: Ident, properties: Vec<(Ident, Expr)> },
    /// `invoke f(args)`: calls a tabular function with the pipe's input as its first argument.
    Invoke { name: Ident, args: Vec<Expr> },
}
