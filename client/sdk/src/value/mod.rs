//! Result cells: decoding the JSON the server sends into Arrow columns ([`decode`]), Kusto's text
//! forms ([`text`]), and showing a decoded cell as text or JSON ([`display`]).

pub(crate) mod decode;
pub mod display;
pub mod text;
