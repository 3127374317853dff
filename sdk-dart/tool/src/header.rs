//! Reads the C header that cbindgen writes (`abi/include/nook.h`) into a small
//! model: functions, structs, opaque types, integer typedefs and `#define`
//! constants.
//!
//! The header is machine-written and follows the ABI's rules (fixed-width
//! integers, `size_t`, pointers, no callbacks, no varargs), so a tokenizer that
//! understands that subset of C is enough; anything outside it is an error, so a
//! new construct in the header makes the tool fail loudly instead of generating a
//! wrong binding.

use std::fmt;

/// A C type as the header spells it, after typedef names are kept symbolic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CType {
    /// `void`, `bool`, `int32_t`, `size_t`, ... (the C spelling).
    Primitive(String),
    /// A struct or typedef name declared in the header.
    Named(String),
    /// `T *` (the flag says whether the pointee is `const`).
    Pointer(Box<CType>, bool),
}

impl fmt::Display for CType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CType::Primitive(p) | CType::Named(p) => f.write_str(p),
            CType::Pointer(inner, true) => write!(f, "const {inner} *"),
            CType::Pointer(inner, false) => write!(f, "{inner} *"),
        }
    }
}

/// One parameter of a function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    pub ty: CType,
}

/// One exported function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Function {
    pub name: String,
    pub ret: CType,
    pub params: Vec<Param>,
    /// The doc comment cbindgen copied from the Rust source, if any.
    pub doc: Vec<String>,
}

/// One field of a struct.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub ty: CType,
    pub doc: Vec<String>,
}

/// A struct with a body (`typedef struct X { ... } X;`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Struct {
    pub name: String,
    pub fields: Vec<Field>,
    pub doc: Vec<String>,
}

/// A `#define NAME <integer>` constant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Constant {
    pub name: String,
    pub value: i128,
    pub doc: Vec<String>,
}

/// Everything the generators need from the header.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Header {
    pub functions: Vec<Function>,
    pub structs: Vec<Struct>,
    /// Declared without a body: used only behind pointers.
    pub opaque: Vec<String>,
    /// `typedef <primitive> Name;`
    pub aliases: Vec<(String, CType)>,
    pub constants: Vec<Constant>,
}

/// The C scalar types the ABI may use, so anything else is reported.
pub const PRIMITIVES: &[&str] = &[
    "void",
    "bool",
    "char",
    "int8_t",
    "int16_t",
    "int32_t",
    "int64_t",
    "uint8_t",
    "uint16_t",
    "uint32_t",
    "uint64_t",
    "size_t",
    "intptr_t",
    "uintptr_t",
    "float",
    "double",
];

impl Header {
    /// Parses the text of a cbindgen header.
    pub fn parse(text: &str) -> Result<Header, String> {
        let mut header = Header::default();
        let (body, defines) = strip_preprocessor(text)?;
        header.constants = defines;
        for (doc, decl) in split_declarations(&body)? {
            header.add_declaration(&doc, &decl)?;
        }
        header.check_names()?;
        Ok(header)
    }

    /// The function called `name`, if declared.
    pub fn function(&self, name: &str) -> Option<&Function> {
        self.functions.iter().find(|f| f.name == name)
    }

    /// Follows typedef aliases down to a primitive or struct type.
    pub fn resolve(&self, ty: &CType) -> CType {
        match ty {
            CType::Named(n) => match self.aliases.iter().find(|(a, _)| a == n) {
                Some((_, t)) => self.resolve(t),
                None => ty.clone(),
            },
            CType::Pointer(inner, c) => CType::Pointer(Box::new(self.resolve(inner)), *c),
            CType::Primitive(_) => ty.clone(),
        }
    }

    fn add_declaration(&mut self, doc: &[String], decl: &str) -> Result<(), String> {
        let decl = decl.trim();
        if let Some(rest) = decl.strip_prefix("typedef ") {
            return self.add_typedef(doc, rest.trim());
        }
        if decl.starts_with("struct ") && !decl.contains('(') {
            // `struct X;` forward declaration or `struct X { ... }`
            return self.add_struct(doc, decl.trim_start_matches("struct ").trim(), None);
        }
        let decl = decl.strip_prefix("extern ").unwrap_or(decl).trim();
        let open = decl
            .find('(')
            .ok_or_else(|| format!("not a function declaration: `{decl}`"))?;
        let close = decl
            .rfind(')')
            .ok_or_else(|| format!("unbalanced parentheses in `{decl}`"))?;
        if close != decl.len() - 1 {
            return Err(format!(
                "unexpected text after the parameter list in `{decl}`"
            ));
        }
        let (ret, name) = split_type_and_name(&decl[..open])?;
        let inner = decl[open + 1..close].trim();
        let mut params = Vec::new();
        if !inner.is_empty() && inner != "void" {
            for p in inner.split(',') {
                if p.contains("...") {
                    return Err(format!("{name}: varargs are not allowed by the ABI"));
                }
                if p.contains('(') {
                    return Err(format!(
                        "{name}: function-pointer parameters are not allowed by the ABI"
                    ));
                }
                let (ty, pname) = split_type_and_name(p)?;
                params.push(Param { name: pname, ty });
            }
        }
        self.functions.push(Function {
            name,
            ret,
            params,
            doc: doc.to_vec(),
        });
        Ok(())
    }

    fn add_typedef(&mut self, doc: &[String], rest: &str) -> Result<(), String> {
        if let Some(body) = rest.strip_prefix("struct ") {
            // `typedef struct X { ... } X;` or `typedef struct X X;`
            let body = body.trim();
            let (head, alias) = match body.rfind('}') {
                Some(end) => (&body[..=end], body[end + 1..].trim()),
                None => {
                    let mut parts = body.split_whitespace();
                    let tag = parts.next().unwrap_or_default();
                    let alias = parts.next().unwrap_or(tag);
                    (tag, alias)
                }
            };
            return self.add_struct(doc, head, Some(alias));
        }
        if rest.starts_with("enum") || rest.contains('(') {
            return Err(format!(
                "typedef `{rest}`: enums and function types are not allowed by the ABI"
            ));
        }
        let (ty, name) = split_type_and_name(rest)?;
        self.aliases.push((name, ty));
        Ok(())
    }

    fn add_struct(
        &mut self,
        doc: &[String],
        head: &str,
        alias: Option<&str>,
    ) -> Result<(), String> {
        match head.find('{') {
            None => {
                let name = alias.unwrap_or(head).trim().to_string();
                check_ident(&name)?;
                if !self.opaque.contains(&name) {
                    self.opaque.push(name);
                }
            }
            Some(open) => {
                let tag = head[..open].trim();
                let name = alias.filter(|a| !a.is_empty()).unwrap_or(tag).to_string();
                check_ident(&name)?;
                let close = head
                    .rfind('}')
                    .ok_or_else(|| format!("struct {name}: missing `}}`"))?;
                let mut fields = Vec::new();
                let mut field_doc = Vec::new();
                for line in head[open + 1..close].lines() {
                    let line = line.trim();
                    if let Some(d) = line.strip_prefix(DOC_MARK) {
                        field_doc.push(d.trim().to_string());
                        continue;
                    }
                    for f in line.split(';').map(str::trim).filter(|f| !f.is_empty()) {
                        if f.contains('[') || f.contains('(') || f.contains(':') {
                            return Err(format!("struct {name}: field `{f}` (arrays, bit-fields and function pointers are not supported)"));
                        }
                        let (ty, fname) = split_type_and_name(f)?;
                        fields.push(Field {
                            name: fname,
                            ty,
                            doc: std::mem::take(&mut field_doc),
                        });
                    }
                }
                self.opaque.retain(|o| o != &name);
                self.structs.push(Struct {
                    name,
                    fields,
                    doc: doc.to_vec(),
                });
            }
        }
        Ok(())
    }

    /// Every named type used must be declared: catches a header that refers to
    /// something this parser did not understand.
    fn check_names(&self) -> Result<(), String> {
        let known = |n: &str| {
            self.structs.iter().any(|s| s.name == n)
                || self.opaque.iter().any(|o| o == n)
                || self.aliases.iter().any(|(a, _)| a == n)
        };
        let mut uses: Vec<(String, &CType)> = Vec::new();
        for f in &self.functions {
            uses.push((f.name.clone(), &f.ret));
            uses.extend(
                f.params
                    .iter()
                    .map(|p| (format!("{}({})", f.name, p.name), &p.ty)),
            );
        }
        for s in &self.structs {
            uses.extend(
                s.fields
                    .iter()
                    .map(|f| (format!("{}.{}", s.name, f.name), &f.ty)),
            );
        }
        for (at, ty) in uses {
            let mut t = ty;
            while let CType::Pointer(inner, _) = t {
                t = inner;
            }
            if let CType::Named(n) = t {
                if !known(n) {
                    return Err(format!("{at}: type `{n}` is not declared in the header"));
                }
            }
        }
        Ok(())
    }
}

/// Marks a doc-comment line kept through comment stripping.
const DOC_MARK: &str = "\u{1}doc:";

/// Removes comments (keeping `/** */` and `///` docs as marked lines), drops
/// `#include`/`#ifndef` guards and `__cplusplus` blocks, and collects integer
/// `#define`s.
fn strip_preprocessor(text: &str) -> Result<(String, Vec<Constant>), String> {
    let text = strip_comments(text)?;
    let mut out = String::new();
    let mut defines = Vec::new();
    let mut doc: Vec<String> = Vec::new();
    // One entry per open conditional: whether its lines are skipped.
    let mut skipping: Vec<bool> = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        if let Some(directive) = t.strip_prefix('#') {
            let directive = directive.trim();
            let word = directive.split_whitespace().next().unwrap_or("");
            match word {
                "if" | "ifdef" | "ifndef" => {
                    skipping.push(directive.contains("__cplusplus") && word != "ifndef")
                }
                "else" | "elif" => {
                    if let Some(last) = skipping.last_mut() {
                        *last = false;
                    }
                }
                "endif" => {
                    skipping.pop();
                }
                "define" if !skipping.iter().any(|s| *s) => {
                    let mut parts = directive["define".len()..].split_whitespace();
                    let name = parts.next().unwrap_or_default().to_string();
                    let value: String = parts.collect::<Vec<_>>().join(" ");
                    // Only the ABI's own namespace is exported; other macros
                    // (include guards, internals) are not part of the contract.
                    if !value.is_empty() && name.starts_with("NOOK_") && name != "NOOK_H" {
                        let v = parse_int(&value).ok_or_else(|| {
                            format!("#define {name}: `{value}` is not an integer literal")
                        })?;
                        if let Some(old) = defines.iter().find(|c: &&Constant| c.name == name) {
                            if old.value != v {
                                return Err(format!(
                                    "#define {name} is both {} and {v}",
                                    old.value
                                ));
                            }
                        } else {
                            defines.push(Constant {
                                name,
                                value: v,
                                doc: std::mem::take(&mut doc),
                            });
                        }
                    }
                }
                _ => {}
            }
            doc.clear();
            continue;
        }
        if skipping.iter().any(|s| *s) {
            continue;
        }
        if let Some(d) = t.strip_prefix(DOC_MARK) {
            // Held back until we know whether a #define or a declaration follows.
            doc.push(d.trim().to_string());
            continue;
        }
        if t.is_empty() {
            doc.clear();
        } else {
            for d in doc.drain(..) {
                out.push_str(DOC_MARK);
                out.push_str(&d);
                out.push('\n');
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    Ok((out, defines))
}

fn strip_comments(text: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("/*") {
            let end = after.find("*/").ok_or("unterminated /* comment")?;
            let body = &after[..end];
            if body.starts_with('*') {
                for l in body.trim_start_matches('*').lines() {
                    let l = l.trim().trim_start_matches('*').trim();
                    if !l.is_empty() {
                        out.push('\n');
                        out.push_str(DOC_MARK);
                        out.push_str(l);
                    }
                }
            } else {
                out.push_str(&"\n".repeat(body.matches('\n').count()));
            }
            rest = &after[end + 2..];
        } else if let Some(after) = rest.strip_prefix("//") {
            // A `//` or `///` comment on a line of its own is documentation
            // (cbindgen's c99 style); one after code on the same line is not.
            let end = after.find('\n').unwrap_or(after.len());
            let line_start = out.rfind('\n').map_or(0, |i| i + 1);
            if out[line_start..].trim().is_empty() {
                let d = after[..end].strip_prefix('/').unwrap_or(&after[..end]);
                out.push_str(DOC_MARK);
                out.push_str(d.trim());
            }
            rest = &after[end..];
        } else {
            let c = rest.chars().next().expect("non-empty");
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    Ok(out)
}

/// Splits the body into top-level `;`-terminated declarations with their docs.
fn split_declarations(body: &str) -> Result<Vec<(Vec<String>, String)>, String> {
    let mut decls = Vec::new();
    let mut doc = Vec::new();
    let mut current = String::new();
    let mut depth = 0i32;
    for line in body.lines() {
        let t = line.trim();
        if depth == 0 && current.trim().is_empty() {
            if let Some(d) = t.strip_prefix(DOC_MARK) {
                doc.push(d.trim().to_string());
                continue;
            }
        }
        for c in line.chars() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
            if depth < 0 {
                return Err("unbalanced `}` in the header".to_string());
            }
            if c == ';' && depth == 0 {
                let decl = current.trim().to_string();
                if !decl.is_empty() {
                    decls.push((std::mem::take(&mut doc), decl));
                }
                current.clear();
            } else {
                current.push(c);
            }
        }
        current.push('\n');
    }
    if !current.trim().is_empty() {
        return Err(format!(
            "declaration without `;` at the end of the header: `{}`",
            current.trim()
        ));
    }
    Ok(decls)
}

/// Splits `const uint8_t *key` into (type, name).
fn split_type_and_name(text: &str) -> Result<(CType, String), String> {
    let spaced = text.replace('*', " * ");
    let mut tokens: Vec<&str> = spaced.split_whitespace().collect();
    let name = tokens
        .pop()
        .ok_or_else(|| format!("empty declaration `{text}`"))?
        .to_string();
    check_ident(&name).map_err(|e| format!("{e} in `{}`", text.trim()))?;
    Ok((
        parse_type(&tokens).map_err(|e| format!("{e} in `{}`", text.trim()))?,
        name,
    ))
}

fn parse_type(tokens: &[&str]) -> Result<CType, String> {
    let mut is_const = false;
    let mut base: Option<CType> = None;
    for &t in tokens {
        match t {
            "const" => {
                if let Some(CType::Pointer(_, c)) = base.as_mut() {
                    // `T * const p`: the pointer itself is const; irrelevant to FFI.
                    let _ = c;
                } else {
                    is_const = true;
                }
            }
            "struct" => {}
            "*" => {
                let inner = base.take().ok_or("a `*` without a type")?;
                let c = matches!(inner, CType::Primitive(_) | CType::Named(_)) && is_const;
                base = Some(CType::Pointer(Box::new(inner), c));
                is_const = false;
            }
            "unsigned" | "signed" | "long" | "short" | "int" => {
                return Err(format!(
                    "`{t}` has an implementation-defined size; the ABI uses fixed-width types"
                ));
            }
            name => {
                if base.is_some() {
                    return Err(format!("unexpected `{name}`"));
                }
                check_ident(name)?;
                base = Some(if PRIMITIVES.contains(&name) {
                    CType::Primitive(name.to_string())
                } else {
                    CType::Named(name.to_string())
                });
            }
        }
    }
    base.ok_or_else(|| "missing type".to_string())
}

fn check_ident(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(format!("`{name}` is not a C identifier"))
    }
}

fn parse_int(value: &str) -> Option<i128> {
    let v = value
        .trim()
        .trim_start_matches('(')
        .trim_end_matches(')')
        .trim();
    let limit = match v {
        "UINT8_MAX" => Some(u8::MAX as i128),
        "UINT16_MAX" => Some(u16::MAX as i128),
        "UINT32_MAX" => Some(u32::MAX as i128),
        "UINT64_MAX" => Some(u64::MAX as i128),
        "INT32_MAX" => Some(i32::MAX as i128),
        "INT64_MAX" => Some(i64::MAX as i128),
        "SIZE_MAX" => None, // platform-dependent: refused below
        _ => None,
    };
    if limit.is_some() {
        return limit;
    }
    let v = v.trim_end_matches(['u', 'U', 'l', 'L']);
    let (neg, v) = match v.strip_prefix('-') {
        Some(r) => (true, r.trim()),
        None => (false, v),
    };
    let n = match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        Some(hex) => i128::from_str_radix(hex, 16).ok()?,
        None => v.parse::<i128>().ok()?,
    };
    Some(if neg { -n } else { n })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
#ifndef NOOK_H
#define NOOK_H

#include <stdint.h>

/**
 * The ABI major version.
 */
#define NOOK_ABI_VERSION_MAJOR 1

#define NOOK_MAX_KEY_LEN 4096

// A c99-style doc.
#define NOOK_WAIT_FOREVER UINT32_MAX

#define INTERNAL_BITS 24
#define INTERNAL_BITS 20

typedef uint64_t NookHandle;

typedef struct NookOpaque NookOpaque;

/**
 * Figures.
 */
typedef struct NookStats {
  /**
   * Keys.
   */
  uint64_t key_count;
  uint32_t page_size;
} NookStats;

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

/**
 * Writes the version.
 */
int32_t nook_abi_version(uint32_t *major, uint32_t *minor);

int32_t nook_get(NookHandle db, const uint8_t *key, size_t key_len, uint8_t *buf, size_t buf_len, size_t *out_len);

void nook_handle_finalize(void *token);

int32_t nook_stats(NookHandle db, struct NookStats *out);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* NOOK_H */
"#;

    #[test]
    fn parses_a_cbindgen_style_header() {
        let h = Header::parse(SAMPLE).unwrap();
        assert_eq!(h.constants.len(), 3, "{:?}", h.constants);
        assert_eq!(h.constants[2].value, u32::MAX as i128);
        assert_eq!(h.constants[2].doc, vec!["A c99-style doc.".to_string()]);
        assert_eq!(h.constants[0].name, "NOOK_ABI_VERSION_MAJOR");
        assert_eq!(h.constants[0].value, 1);
        assert_eq!(
            h.constants[0].doc,
            vec!["The ABI major version.".to_string()]
        );
        assert_eq!(
            h.aliases,
            vec![(
                "NookHandle".to_string(),
                CType::Primitive("uint64_t".into())
            )]
        );
        assert_eq!(h.opaque, vec!["NookOpaque".to_string()]);
        assert_eq!(h.structs.len(), 1);
        assert_eq!(h.structs[0].fields[0].name, "key_count");
        assert_eq!(h.structs[0].fields[0].doc, vec!["Keys.".to_string()]);
        let names: Vec<_> = h.functions.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "nook_abi_version",
                "nook_get",
                "nook_handle_finalize",
                "nook_stats"
            ]
        );
        let get = h.function("nook_get").unwrap();
        assert_eq!(get.params.len(), 6);
        assert_eq!(
            get.params[1].ty,
            CType::Pointer(Box::new(CType::Primitive("uint8_t".into())), true)
        );
        assert_eq!(
            h.resolve(&get.params[0].ty),
            CType::Primitive("uint64_t".into())
        );
        assert_eq!(
            h.function("nook_abi_version").unwrap().doc,
            vec!["Writes the version.".to_string()]
        );
        assert_eq!(
            h.function("nook_stats").unwrap().params[1].ty,
            CType::Pointer(Box::new(CType::Named("NookStats".into())), false)
        );
    }

    #[test]
    fn refuses_constructs_outside_the_abi_rules() {
        for bad in [
            "int32_t nook_x(unsigned int a);",
            "int32_t nook_x(int32_t a, ...);",
            "int32_t nook_x(void (*cb)(void));",
            "int32_t nook_x(Undeclared *p);",
            "typedef enum Foo { A } Foo;",
            "int32_t nook_x(int32_t a)",
        ] {
            assert!(Header::parse(bad).is_err(), "accepted `{bad}`");
        }
    }
}
