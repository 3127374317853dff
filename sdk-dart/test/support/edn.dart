/// A parser for the subset of CBOR diagnostic notation (RFC 8949 §8) used by
/// `test/vectors/cbor.txt`, producing the Dart values package:nook's codec
/// uses: int (or BigInt past 64 bits), double, String, Uint8List, List, Map,
/// bool, null and CborTag.
library;

import 'dart:typed_data';

import 'package:nook/nook.dart';

/// Parses one value in diagnostic notation.
Object? parseEdn(String text) {
  final p = _Edn(text);
  final v = p.value();
  p.ws();
  if (p.pos != text.length) {
    throw FormatException('trailing text', text, p.pos);
  }
  return v;
}

final class _Edn {
  _Edn(this.s);
  final String s;
  int pos = 0;

  void ws() {
    while (pos < s.length && (s[pos] == ' ' || s[pos] == ',')) {
      pos++;
    }
  }

  bool eat(String t) {
    ws();
    if (s.startsWith(t, pos)) {
      pos += t.length;
      return true;
    }
    return false;
  }

  Object? value() {
    ws();
    const words = <String, Object?>{
      'true': true,
      'false': false,
      'null': null,
      'NaN': double.nan,
      '-Infinity': double.negativeInfinity,
      'Infinity': double.infinity,
    };
    for (final MapEntry(:key, :value) in words.entries) {
      if (eat(key)) return value;
    }
    if (eat("h'")) {
      final end = s.indexOf("'", pos);
      final hex = s.substring(pos, end);
      pos = end + 1;
      return hexBytes(hex);
    }
    if (eat('"')) {
      final out = StringBuffer();
      while (true) {
        final c = s[pos++];
        if (c == '"') break;
        if (c == r'\') {
          final e = s[pos++];
          if (e == 'n') {
            out.write('\n');
          } else if (e == 'u') {
            out.writeCharCode(int.parse(s.substring(pos, pos + 4), radix: 16));
            pos += 4;
          } else {
            out.write(e);
          }
        } else {
          out.write(c);
        }
      }
      return out.toString();
    }
    if (eat('[')) {
      final items = <Object?>[];
      while (!eat(']')) {
        items.add(value());
      }
      return items;
    }
    if (eat('{')) {
      final map = <Object?, Object?>{};
      while (!eat('}')) {
        final k = value();
        if (!eat(':')) throw FormatException('expected :', s, pos);
        map[k] = value();
      }
      return map;
    }
    final start = pos;
    while (pos < s.length && RegExp(r'[0-9A-Za-z+\-.]').hasMatch(s[pos])) {
      pos++;
    }
    final number = s.substring(start, pos);
    if (eat('(')) {
      final tagged = value();
      if (!eat(')')) throw FormatException('expected )', s, pos);
      return CborTag(int.parse(number), tagged);
    }
    if (number.contains('.') || number.contains('e')) {
      return double.parse(number);
    }
    final big = BigInt.parse(number);
    return big.isValidInt ? big.toInt() : big;
  }
}

/// Bytes from lowercase hex.
Uint8List hexBytes(String hex) => Uint8List.fromList([
      for (var i = 0; i < hex.length; i += 2)
        int.parse(hex.substring(i, i + 2), radix: 16),
    ]);

/// Lowercase hex of [bytes].
String hexOf(List<int> bytes) =>
    bytes.map((b) => b.toRadixString(16).padLeft(2, '0')).join();
