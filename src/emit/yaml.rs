//! TEMPORARY until the real emitter lands.
use serde_json::Value;
pub fn write_document(out: &mut String, value: &Value) {
    out.push_str(&serde_json::to_string_pretty(value).unwrap_or_default());
    out.push('\n');
}
pub fn write_stream(out: &mut String, docs: &[&Value]) {
    for (i, d) in docs.iter().enumerate() {
        if i > 0 { out.push_str("---\n"); }
        write_document(out, d);
    }
}
