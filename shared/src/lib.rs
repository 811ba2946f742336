//! What the browser and the server share: the domain types, parsed once at
//! the edge and trusted afterwards (`domain`), the shapes that cross the wire
//! (`dto`), and field errors (`validation`). No backend crate may be a
//! dependency here: this crate is compiled to wasm.

pub mod dates;
pub mod domain;
pub mod dto;
pub mod validation;
