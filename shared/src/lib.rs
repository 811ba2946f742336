//! What the browser and the server share: the domain types, parsed once at
//! the edge and trusted afterwards (`domain`), the shapes that cross the wire
//! (`dto`), field errors (`validation`), and the "Import CSV" file's reader
//! (`csv_import`). No backend crate may be a
//! dependency here: this crate is compiled to wasm.

pub mod csv_import;
pub mod dates;
pub mod domain;
pub mod dto;
pub mod validation;
