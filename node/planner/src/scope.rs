//! `let` bindings. A binding is visible from its statement to the end of its block (the query or a
//! function body); an inner block's bindings shadow outer ones.

use std::collections::HashMap;
use std::rc::Rc;

use datafusion::logical_expr::LogicalPlan;
use tarn_functions::TypedExpr;
use tarn_kql::ast::FunctionDef;

#[derive(Clone)]
pub(crate) enum Binding {
    Scalar(TypedExpr),
    Tabular(LogicalPlan),
    Function(Rc<FunctionDef>),
}

#[derive(Default)]
pub(crate) struct Scope {
    frames: Vec<HashMap<String, Binding>>,
}

impl Scope {
    pub(crate) fn new() -> Scope {
        Scope { frames: vec![HashMap::new()] }
    }

    pub(crate) fn push(&mut self) {
        self.frames.push(HashMap::new());
    }

    pub(crate) fn pop(&mut self) {
        // The root frame stays: pops pair with pushes made by function inlining.
        if self.frames.len() > 1 {
            self.frames.pop();
        }
    }

    pub(crate) fn bind(&mut self, name: &str, binding: Binding) {
        if let Some(frame) = self.frames.last_mut() {
            frame.insert(name.to_string(), binding);
        }
    }

    pub(crate) fn lookup(&self, name: &str) -> Option<&Binding> {
        self.frames.iter().rev().find_map(|frame| frame.get(name))
    }
}
