/// CBOR (RFC 8949) for Nook values, in pure Dart.
///
/// [cborEncode] writes the *core deterministic* encoding (RFC 8949 §4.2.1):
/// shortest integer and length heads, definite lengths, map keys sorted by the
/// bytes of their encoding, and floats in the shortest of half, single or double
/// precision that keeps the value exactly (NaN as `f9 7e00`). That is what the
/// Rust side (ciborium) and the Go side (fxamacker/cbor, core deterministic)
/// write for the same values, so a value written by any of the three reads back
/// identically in the others; `test/vectors/cbor.txt` holds the shared vectors.
///
/// [cborDecode] accepts any well-formed item (also indefinite lengths and
/// non-shortest heads that other encoders may write) and refuses anything else
/// with an [InvalidValueException] that gives the byte offset.
///
/// Dart type ↔ CBOR: `null` ↔ null, `bool` ↔ true/false, `int` ↔ integer
/// (64-bit; larger integers decode to [BigInt]), `double` ↔ float, `String` ↔
/// text string, `Uint8List` ↔ byte string, `List` ↔ array, `Map` ↔ map,
/// [CborTag] ↔ any other tag, [CborSimpleValue] ↔ `undefined` and other
/// simple values.
library;

import 'dart:convert' show utf8;
import 'dart:typed_data';

import 'errors.dart';

/// Deepest nesting of arrays, maps and tags accepted, as in the engine.
const int cborMaxNesting = 512;

/// A tagged item (major type 6) other than the bignum tags 2 and 3, which
/// decode to [BigInt].
final class CborTag {
  /// Tag number [tag] applied to [value].
  const CborTag(this.tag, this.value);

  /// The tag number (e.g. 1 for epoch time).
  final int tag;

  /// The tagged item.
  final Object? value;

  @override
  bool operator ==(Object other) =>
      other is CborTag && other.tag == tag && cborDeepEquals(other.value, value);

  @override
  int get hashCode => Object.hash(
      tag, value is List<Object?> || value is Map<Object?, Object?> ? 0 : value);

  @override
  String toString() => 'CborTag($tag, $value)';
}

/// A simple value (major type 7) other than false, true and null, such as
/// `undefined` (23).
final class CborSimpleValue {
  /// Simple value [value]: 0 to 19, 23, or 32 to 255.
  const CborSimpleValue(this.value);

  /// CBOR `undefined`.
  static const CborSimpleValue undefined = CborSimpleValue(23);

  /// The simple value number.
  final int value;

  @override
  bool operator ==(Object other) =>
      other is CborSimpleValue && other.value == value;

  @override
  int get hashCode => value.hashCode;

  @override
  String toString() => 'CborSimpleValue($value)';
}

/// Encodes [value] as one CBOR data item in core deterministic form.
///
/// Throws [InvalidValueException] for a value that has no CBOR form (a `Set`, a
/// `DateTime`, an object) or that nests deeper than [cborMaxNesting].
Uint8List cborEncode(Object? value) {
  final writer = _Writer();
  writer.item(value, 0);
  return writer.bytes();
}

/// Decodes [bytes], which must hold exactly one well-formed CBOR data item.
///
/// Throws [InvalidValueException] naming the byte offset of the problem.
Object? cborDecode(Uint8List bytes) {
  if (bytes.isEmpty) {
    throw const InvalidValueException(
        'the value is empty; a value is one CBOR data item (0xf6 for null)');
  }
  final reader = _Reader(bytes);
  final value = reader.item(0);
  if (reader.pos != bytes.length) {
    throw InvalidValueException('invalid CBOR at byte ${reader.pos}: there are '
        'bytes after the first data item');
  }
  return value;
}

/// Deep equality over decoded values: lists, maps (in any key order) and byte
/// strings compare by content, doubles by bits (so NaN equals NaN and -0.0
/// differs from 0.0).
bool cborDeepEquals(Object? a, Object? b) {
  if (a is double && b is double) {
    return _doubleBits(a) == _doubleBits(b) || (a.isNaN && b.isNaN);
  }
  if (a is Uint8List && b is Uint8List) {
    if (a.length != b.length) return false;
    for (var i = 0; i < a.length; i++) {
      if (a[i] != b[i]) return false;
    }
    return true;
  }
  if (a is List<Object?> && b is List<Object?>) {
    if (a is Uint8List || b is Uint8List || a.length != b.length) return false;
    for (var i = 0; i < a.length; i++) {
      if (!cborDeepEquals(a[i], b[i])) return false;
    }
    return true;
  }
  if (a is Map<Object?, Object?> && b is Map<Object?, Object?>) {
    // Order-independent: a map read back is in canonical key order, which
    // need not be the order the map was built in.
    if (a.length != b.length) return false;
    for (final ea in a.entries) {
      final match = b.entries.where((eb) => cborDeepEquals(ea.key, eb.key));
      if (match.isEmpty || !cborDeepEquals(ea.value, match.first.value)) {
        return false;
      }
    }
    return true;
  }
  return a == b;
}

int _doubleBits(double v) {
  final data = ByteData(8)..setFloat64(0, v);
  return data.getUint64(0);
}

final BigInt _twoTo64 = BigInt.one << 64;
final BigInt _maxInt = BigInt.from(0x7fffffffffffffff);
final BigInt _mask32 = BigInt.from(0xffffffff);

/// Appends CBOR to a growable buffer.
final class _Writer {
  Uint8List _buf = Uint8List(64);
  int _len = 0;
  final ByteData _scratch = ByteData(8);

  Uint8List bytes() => Uint8List.sublistView(_buf, 0, _len);

  void _reserve(int n) {
    if (_len + n <= _buf.length) return;
    var cap = _buf.length * 2;
    while (cap < _len + n) {
      cap *= 2;
    }
    final next = Uint8List(cap)..setRange(0, _len, _buf);
    _buf = next;
  }

  void _byte(int b) {
    _reserve(1);
    _buf[_len++] = b;
  }

  void _bytes(List<int> b) {
    _reserve(b.length);
    _buf.setRange(_len, _len + b.length, b);
    _len += b.length;
  }

  /// A head with a non-negative argument that fits in an `int`.
  void _head(int major, int arg) {
    final m = major << 5;
    if (arg < 24) {
      _byte(m | arg);
    } else if (arg <= 0xff) {
      _byte(m | 24);
      _byte(arg);
    } else if (arg <= 0xffff) {
      _byte(m | 25);
      _byte(arg >> 8);
      _byte(arg & 0xff);
    } else if (arg <= 0xffffffff) {
      _byte(m | 26);
      _scratch.setUint32(0, arg);
      _bytes(Uint8List.sublistView(_scratch, 0, 4));
    } else {
      _byte(m | 27);
      _scratch.setUint32(0, arg >> 32);
      _scratch.setUint32(4, arg & 0xffffffff);
      _bytes(Uint8List.sublistView(_scratch, 0, 8));
    }
  }

  /// A head with an argument from 2^63 to 2^64-1.
  void _headBig(int major, BigInt arg) {
    _byte((major << 5) | 27);
    _scratch.setUint32(0, (arg >> 32).toInt());
    _scratch.setUint32(4, (arg & _mask32).toInt());
    _bytes(Uint8List.sublistView(_scratch, 0, 8));
  }

  void item(Object? value, int depth) {
    if (depth > cborMaxNesting) {
      throw const InvalidValueException(
          'the value nests deeper than 512 lists, maps and tags');
    }
    switch (value) {
      case null:
        _byte(0xf6);
      case bool b:
        _byte(b ? 0xf5 : 0xf4);
      case int i:
        if (i >= 0) {
          _head(0, i);
        } else {
          _head(1, -1 - i);
        }
      case BigInt b:
        _bigInt(b);
      case double d:
        _double(d);
      case String s:
        final utf = utf8.encode(s);
        _head(3, utf.length);
        _bytes(utf);
      case Uint8List b:
        _head(2, b.length);
        _bytes(b);
      case List<Object?> l:
        _head(4, l.length);
        for (final e in l) {
          item(e, depth + 1);
        }
      case Map<Object?, Object?> m:
        _map(m, depth);
      case CborTag t:
        if (t.tag < 0) {
          throw InvalidValueException('tag ${t.tag} is negative');
        }
        _head(6, t.tag);
        item(t.value, depth + 1);
      case CborSimpleValue s:
        if (s.value < 0 || s.value > 255 || (s.value >= 20 && s.value <= 31 && s.value != 23)) {
          throw InvalidValueException('simple value ${s.value} cannot be '
              'encoded; use 0 to 19, 23, or 32 to 255');
        }
        if (s.value < 24) {
          _byte(0xe0 | s.value);
        } else {
          _byte(0xf8);
          _byte(s.value);
        }
      default:
        throw InvalidValueException('a ${value.runtimeType} has no CBOR form; '
            'use null, bool, int, double, String, Uint8List, List or Map '
            '(or encode it yourself and use the bytes API)');
    }
  }

  void _bigInt(BigInt b) {
    if (b >= BigInt.zero) {
      if (b <= _maxInt) {
        _head(0, b.toInt());
      } else if (b < _twoTo64) {
        _headBig(0, b);
      } else {
        _bignum(2, b);
      }
    } else {
      final arg = -BigInt.one - b;
      if (arg <= _maxInt) {
        _head(1, arg.toInt());
      } else if (arg < _twoTo64) {
        _headBig(1, arg);
      } else {
        _bignum(3, arg);
      }
    }
  }

  /// Tag 2 (or 3) with the big-endian magnitude, as ciborium writes i128.
  void _bignum(int tag, BigInt magnitude) {
    final out = <int>[];
    var m = magnitude;
    while (m > BigInt.zero) {
      out.add((m & BigInt.from(0xff)).toInt());
      m = m >> 8;
    }
    _head(6, tag);
    _head(2, out.length);
    _bytes(out.reversed.toList());
  }

  void _map(Map<Object?, Object?> m, int depth) {
    final entries = <(Uint8List, Object?)>[];
    for (final e in m.entries) {
      final keyWriter = _Writer()..item(e.key, depth + 1);
      entries.add((keyWriter.bytes(), e.value));
    }
    entries.sort((a, b) => _compareBytes(a.$1, b.$1));
    for (var i = 1; i < entries.length; i++) {
      if (_compareBytes(entries[i - 1].$1, entries[i].$1) == 0) {
        throw const InvalidValueException(
            'the map has two keys with the same CBOR encoding');
      }
    }
    _head(5, entries.length);
    for (final (key, value) in entries) {
      _bytes(key);
      item(value, depth + 1);
    }
  }

  void _double(double v) {
    if (v.isNaN) {
      _bytes(const [0xf9, 0x7e, 0x00]);
      return;
    }
    final half = _exactHalf(v);
    if (half != null) {
      _byte(0xf9);
      _byte(half >> 8);
      _byte(half & 0xff);
      return;
    }
    _scratch.setFloat32(0, v);
    if (_doubleBits(_scratch.getFloat32(0)) == _doubleBits(v)) {
      _byte(0xfa);
      _bytes(Uint8List.sublistView(_scratch, 0, 4));
      return;
    }
    _scratch.setFloat64(0, v);
    _byte(0xfb);
    _bytes(Uint8List.sublistView(_scratch, 0, 8));
  }
}

/// The IEEE half-precision bits of [v] when it is exactly representable.
int? _exactHalf(double v) {
  final bits = _doubleBits(v);
  final sign = (bits >> 63) & 1;
  final exp = (bits >> 52) & 0x7ff;
  final mant = bits & 0xfffffffffffff;
  if (exp == 0x7ff) {
    return mant == 0 ? (sign << 15) | 0x7c00 : null; // infinity (NaN handled)
  }
  if (exp == 0 && mant == 0) return sign << 15; // ±0
  if (exp == 0) return null; // double subnormals are far below half range
  final e = exp - 1023;
  if (e >= -14 && e <= 15) {
    if (mant & 0x3ffffffffff != 0) return null; // needs more than 10 bits
    return (sign << 15) | ((e + 15) << 10) | (mant >> 42);
  }
  if (e >= -24 && e < -14) {
    final full = (1 << 52) | mant;
    final shift = 28 - e;
    if (full & ((1 << shift) - 1) != 0) return null;
    return (sign << 15) | (full >> shift);
  }
  return null;
}

double _halfToDouble(int h) {
  final sign = (h >> 15) & 1 == 1 ? -1.0 : 1.0;
  final exp = (h >> 10) & 0x1f;
  final mant = h & 0x3ff;
  if (exp == 0) return sign * mant * _pow2(-24);
  if (exp == 31) return mant == 0 ? sign * double.infinity : double.nan;
  return sign * (1 + mant / 1024) * _pow2(exp - 15);
}

double _pow2(int e) {
  var r = 1.0;
  if (e >= 0) {
    for (var i = 0; i < e; i++) {
      r *= 2;
    }
  } else {
    for (var i = 0; i < -e; i++) {
      r /= 2;
    }
  }
  return r;
}

int _compareBytes(Uint8List a, Uint8List b) {
  final n = a.length < b.length ? a.length : b.length;
  for (var i = 0; i < n; i++) {
    if (a[i] != b[i]) return a[i] - b[i];
  }
  return a.length - b.length;
}

/// Reads CBOR from a byte list, checking every length against what remains.
final class _Reader {
  _Reader(this.bytes) : data = ByteData.sublistView(bytes);

  final Uint8List bytes;
  final ByteData data;
  int pos = 0;

  Never _fail(int at, String what) =>
      throw InvalidValueException('invalid CBOR at byte $at: $what');

  int get _remaining => bytes.length - pos;

  int _byte() {
    if (pos >= bytes.length) {
      _fail(pos, 'the value ends in the middle of a data item');
    }
    return bytes[pos++];
  }

  void _need(int n) {
    if (n > _remaining) {
      _fail(pos, 'the value ends in the middle of a data item');
    }
  }

  /// The argument of a head: an `int`, a [BigInt] (2^63 and up), or null for
  /// an indefinite length.
  Object? _argument(int info, int at) {
    if (info < 24) return info;
    switch (info) {
      case 24:
        return _byte();
      case 25:
        _need(2);
        final u16 = data.getUint16(pos);
        pos += 2;
        return u16;
      case 26:
        _need(4);
        final u32 = data.getUint32(pos);
        pos += 4;
        return u32;
      case 27:
        _need(8);
        final hi = data.getUint32(pos);
        final lo = data.getUint32(pos + 4);
        pos += 8;
        if (hi < 0x80000000) return (hi << 32) | lo;
        return (BigInt.from(hi) << 32) | BigInt.from(lo);
      case 31:
        return null;
      default:
        _fail(at, 'reserved additional information $info');
    }
  }

  /// A definite length that must fit in what remains (each element of an
  /// array or map takes at least one byte), so a hostile length allocates
  /// nothing.
  int _length(Object? arg, int at, int minBytesEach) {
    if (arg is! int || arg > _remaining ~/ minBytesEach) {
      _fail(at, 'a length of $arg is more than the $_remaining bytes left');
    }
    return arg;
  }

  Object? item(int depth) {
    if (depth > cborMaxNesting) {
      _fail(pos, 'nesting deeper than $cborMaxNesting');
    }
    final at = pos;
    final initial = _byte();
    final major = initial >> 5;
    final info = initial & 0x1f;
    if (major == 7) return _simple(info, at);
    final arg = _argument(info, at);
    switch (major) {
      case 0:
        if (arg == null) _fail(at, 'an integer cannot have indefinite length');
        return arg;
      case 1:
        if (arg == null) _fail(at, 'an integer cannot have indefinite length');
        if (arg is int) return -1 - arg;
        return -BigInt.one - (arg as BigInt);
      case 2:
        return _byteString(arg, at, 2);
      case 3:
        final utf = _byteString(arg, at, 3);
        try {
          return utf8.decode(utf);
        } on FormatException {
          _fail(at, 'a text string is not valid UTF-8');
        }
      case 4:
        if (arg == null) {
          final list = <Object?>[];
          while (!_atBreak()) {
            list.add(item(depth + 1));
          }
          return list;
        }
        final count = _length(arg, at, 1);
        return List<Object?>.generate(count, (_) => item(depth + 1));
      case 5:
        final map = <Object?, Object?>{};
        if (arg == null) {
          while (!_atBreak()) {
            _entry(map, depth);
          }
          return map;
        }
        final pairs = _length(arg, at, 2);
        for (var i = 0; i < pairs; i++) {
          _entry(map, depth);
        }
        return map;
      default: // 6
        if (arg == null) _fail(at, 'a tag cannot have indefinite length');
        if (arg is BigInt) _fail(at, 'tag number $arg is too large');
        final value = item(depth + 1);
        if ((arg == 2 || arg == 3) && value is Uint8List) {
          var magnitude = BigInt.zero;
          for (final b in value) {
            magnitude = (magnitude << 8) | BigInt.from(b);
          }
          return arg == 2 ? magnitude : -BigInt.one - magnitude;
        }
        return CborTag(arg as int, value);
    }
  }

  void _entry(Map<Object?, Object?> out, int depth) {
    final keyAt = pos;
    final key = item(depth + 1);
    final value = item(depth + 1);
    if (out.containsKey(key)) {
      _fail(keyAt, 'the map repeats the key $key; read it with the bytes API');
    }
    out[key] = value;
  }

  bool _atBreak() {
    if (pos >= bytes.length) {
      _fail(pos, 'an indefinite-length item has no break (0xff)');
    }
    if (bytes[pos] == 0xff) {
      pos++;
      return true;
    }
    return false;
  }

  Uint8List _byteString(Object? arg, int at, int major) {
    if (arg != null) {
      final n = _length(arg, at, 1);
      final out = Uint8List.fromList(Uint8List.sublistView(bytes, pos, pos + n));
      pos += n;
      return out;
    }
    final chunks = BytesBuilder(copy: false);
    while (!_atBreak()) {
      final chunkAt = pos;
      final head = _byte();
      if (head >> 5 != major || head & 0x1f == 31) {
        _fail(chunkAt, 'a chunk of an indefinite-length string has the wrong type');
      }
      chunks.add(_byteString(_argument(head & 0x1f, chunkAt), chunkAt, major));
    }
    return chunks.takeBytes();
  }

  Object? _simple(int info, int at) {
    switch (info) {
      case 20:
        return false;
      case 21:
        return true;
      case 22:
        return null;
      case 24:
        final simple = _byte();
        if (simple < 32) {
          _fail(at, 'simple value $simple must use the one-byte form');
        }
        return CborSimpleValue(simple);
      case 25:
        _need(2);
        final half = data.getUint16(pos);
        pos += 2;
        return _halfToDouble(half);
      case 26:
        _need(4);
        final single = data.getFloat32(pos);
        pos += 4;
        return single;
      case 27:
        _need(8);
        final double64 = data.getFloat64(pos);
        pos += 8;
        return double64;
      case 31:
        _fail(at, 'a break (0xff) outside an indefinite-length item');
      default:
        if (info >= 28) _fail(at, 'reserved additional information $info');
        return CborSimpleValue(info);
    }
  }
}
