//! Temporary: time page load vs page size.
use pdfium_render::prelude::*;
use std::time::Instant;
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let pdf = std::fs::read(&path).unwrap();
    let lib = concat!(env!("CARGO_MANIFEST_DIR"), "/../../.pdfium/libpdfium.so");
    let pdfium = Pdfium::new(Pdfium::bind_to_library(lib).unwrap());
    let t = Instant::now();
    let doc = pdfium.load_pdf_from_byte_slice(&pdf, None).unwrap();
    println!("load {:?}", t.elapsed());
    let t = Instant::now();
    for i in 0..doc.pages().len() { let _ = doc.pages().page_size(i); }
    println!("sizes {:?} ({} pages)", t.elapsed(), doc.pages().len());
    let t = Instant::now();
    for i in 0..doc.pages().len() { let p = doc.pages().get(i).unwrap(); let _ = p.rotation(); }
    println!("page loads {:?}", t.elapsed());
}
