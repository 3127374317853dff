//! How a C type of the header is spelled in `dart:ffi`: the native type (as in
//! `@Native<Int32 Function(Uint64)>`) and the Dart type of the matching Dart
//! function (`int Function(int)`). One table, used by the generator and by the
//! checker, so the two cannot disagree about what "matching" means.

use crate::header::{CType, Header};

/// The `dart:ffi` native type for a resolved C type, without the `ffi.` prefix.
pub fn native_type(header: &Header, ty: &CType) -> Result<String, String> {
    Ok(match header.resolve(ty) {
        CType::Primitive(p) => primitive(&p)?.to_string(),
        CType::Named(n) => n,
        CType::Pointer(inner, _) => format!("Pointer<{}>", native_type(header, &inner)?),
    })
}

/// The Dart type of a value of native type `native` (as returned by
/// [`native_type`]), or an error for a struct passed by value.
pub fn dart_type(header: &Header, native: &str) -> Result<String, String> {
    Ok(match native {
        "Void" => "void".to_string(),
        "Bool" => "bool".to_string(),
        "Float" | "Double" => "double".to_string(),
        "Int8" | "Int16" | "Int32" | "Int64" | "Uint8" | "Uint16" | "Uint32" | "Uint64"
        | "Size" | "IntPtr" | "UintPtr" | "Char" => "int".to_string(),
        p if p.starts_with("Pointer<") => p.to_string(),
        other => {
            let by_value = header.structs.iter().any(|s| s.name == other)
                || header.opaque.iter().any(|o| o == other);
            if by_value {
                return Err(format!(
                    "`{other}` is passed by value; the ABI passes structs only behind pointers"
                ));
            }
            return Err(format!("no Dart type for native type `{other}`"));
        }
    })
}

/// Adds the `ffi.` prefix to every `dart:ffi` type name in a native type.
pub fn prefixed(native: &str, header: &Header) -> String {
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if !word.is_empty() {
            let ours = header.structs.iter().any(|s| &s.name == word)
                || header.opaque.iter().any(|o| o == word);
            if !ours
                && word != "Function"
                && word.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            {
                out.push_str("ffi.");
            }
            out.push_str(word);
            word.clear();
        }
    };
    for c in native.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

fn primitive(c: &str) -> Result<&'static str, String> {
    Ok(match c {
        "void" => "Void",
        "bool" => "Bool",
        "char" => "Char",
        "int8_t" => "Int8",
        "int16_t" => "Int16",
        "int32_t" => "Int32",
        "int64_t" => "Int64",
        "uint8_t" => "Uint8",
        "uint16_t" => "Uint16",
        "uint32_t" => "Uint32",
        "uint64_t" => "Uint64",
        "size_t" => "Size",
        "intptr_t" => "IntPtr",
        "uintptr_t" => "UintPtr",
        "float" => "Float",
        "double" => "Double",
        other => return Err(format!("no dart:ffi type for C type `{other}`")),
    })
}

/// `nook_get_value` -> `nookGetValue`; avoids Dart reserved words.
pub fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = !out.is_empty();
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    if DART_RESERVED.contains(&out.as_str()) {
        out.push('_');
    }
    out
}

/// `NOOK_ERR_NOT_FOUND` -> `NookErrNotFound` (type names).
pub fn pascal(snake: &str) -> String {
    let lower = snake.to_ascii_lowercase();
    let c = camel(&lower);
    let mut chars = c.chars();
    match chars.next() {
        Some(f) => f.to_uppercase().chain(chars).collect(),
        None => c,
    }
}

const DART_RESERVED: &[&str] = &[
    "assert", "break", "case", "catch", "class", "const", "continue", "default", "do", "else",
    "enum", "extends", "false", "final", "finally", "for", "if", "in", "is", "new", "null",
    "rethrow", "return", "super", "switch", "this", "throw", "true", "try", "var", "void", "while",
    "with",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_c_types_to_ffi_and_dart() {
        let h = Header::parse("typedef uint64_t NookHandle;\ntypedef struct S S;\nint32_t f(NookHandle h, const uint8_t *p, size_t *n, uint8_t **o, S *s);").unwrap();
        let f = &h.functions[0];
        let natives: Vec<String> = f
            .params
            .iter()
            .map(|p| native_type(&h, &p.ty).unwrap())
            .collect();
        assert_eq!(
            natives,
            [
                "Uint64",
                "Pointer<Uint8>",
                "Pointer<Size>",
                "Pointer<Pointer<Uint8>>",
                "Pointer<S>"
            ]
        );
        assert_eq!(dart_type(&h, "Uint64").unwrap(), "int");
        assert_eq!(dart_type(&h, "Size").unwrap(), "int");
        assert!(dart_type(&h, "S").is_err());
        assert_eq!(
            prefixed("Pointer<Pointer<Uint8>>", &h),
            "ffi.Pointer<ffi.Pointer<ffi.Uint8>>"
        );
        assert_eq!(prefixed("Pointer<S>", &h), "ffi.Pointer<S>");
        assert_eq!(
            prefixed("Int32 Function(Uint64)", &h),
            "ffi.Int32 Function(ffi.Uint64)"
        );
        assert_eq!(camel("nook_get_value"), "nookGetValue");
        assert_eq!(camel("in"), "in_");
        assert_eq!(pascal("ALREADY_EXISTS"), "AlreadyExists");
        assert_eq!(pascal("IO"), "Io");
    }
}
