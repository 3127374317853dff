import 'dart:io';
import 'dart:math';
import 'dart:typed_data';

import 'package:nook/nook.dart';
import 'package:test/test.dart';

import 'support/edn.dart';

void main() {
  group('shared vectors (test/vectors/cbor.txt)', () {
    final lines = File('test/vectors/cbor.txt')
        .readAsLinesSync()
        .map((l) => l.trim())
        .where((l) => l.isNotEmpty && !l.startsWith('#'))
        .toList();

    test('there are enough of them', () {
      expect(lines.length, greaterThanOrEqualTo(60));
    });

    for (final line in lines) {
      final space = line.indexOf(' ');
      final hex = line.substring(0, space);
      final diag = line.substring(space + 1);
      test('$hex  $diag', () {
        final value = parseEdn(diag);
        expect(hexOf(cborEncode(value)), hex, reason: 'encoding $diag');
        final decoded = cborDecode(hexBytes(hex));
        expect(cborDeepEquals(decoded, value), isTrue,
            reason: '$hex decodes to $decoded');
        expect(hexOf(cborEncode(decoded)), hex, reason: 're-encoding');
      });
    }
  });

  group('encoding', () {
    test('maps are written in canonical key order whatever the insertion order',
        () {
      final a = cborEncode({'b': 1, 'a': 2, 10: 3, 'aa': 4});
      final b = cborEncode({'aa': 4, 10: 3, 'a': 2, 'b': 1});
      expect(hexOf(a), hexOf(b));
      expect(hexOf(a), 'a40a0361610261620162616104');
    });

    test('bignums beyond 64 bits use tags 2 and 3, as ciborium writes i128', () {
      final big = BigInt.parse('18446744073709551616'); // 2^64
      expect(hexOf(cborEncode(big)), 'c249010000000000000000');
      expect(cborDecode(hexBytes('c249010000000000000000')), big);
      final neg = -big - BigInt.one; // -2^64 - 1
      expect(hexOf(cborEncode(neg)), 'c349010000000000000000');
      expect(cborDecode(hexBytes('c349010000000000000000')), neg);
    });

    test('BigInt within 64 bits is a plain integer', () {
      expect(hexOf(cborEncode(BigInt.from(5))), '05');
      expect(hexOf(cborEncode(BigInt.parse('18446744073709551615'))),
          '1bffffffffffffffff');
    });

    test('undefined and other simple values', () {
      expect(hexOf(cborEncode(CborSimpleValue.undefined)), 'f7');
      expect(cborDecode(hexBytes('f7')), CborSimpleValue.undefined);
      expect(hexOf(cborEncode(const CborSimpleValue(255))), 'f8ff');
      expect(cborDecode(hexBytes('f8ff')), const CborSimpleValue(255));
      expect(() => cborEncode(const CborSimpleValue(24)),
          throwsA(isA<InvalidValueException>()));
    });

    test('types with no CBOR form are refused with INVALID_VALUE', () {
      for (final v in <Object>[<int>{1}, DateTime(2020), Object()]) {
        expect(
            () => cborEncode(v),
            throwsA(isA<InvalidValueException>()
                .having((e) => e.name, 'name', 'INVALID_VALUE')));
      }
    });

    test('keys that encode the same are refused', () {
      expect(() => cborEncode({1: 'a', BigInt.one: 'b'}),
          throwsA(isA<InvalidValueException>()));
    });

    test('nesting deeper than 512 is refused both ways', () {
      Object? deep = 1;
      for (var i = 0; i < 600; i++) {
        deep = [deep];
      }
      expect(() => cborEncode(deep), throwsA(isA<InvalidValueException>()));
      final bytes = Uint8List(601)..fillRange(0, 600, 0x81);
      bytes[600] = 0x01;
      expect(() => cborDecode(bytes), throwsA(isA<InvalidValueException>()));
    });

    test('Uint8List is a byte string, other int lists are arrays', () {
      expect(hexOf(cborEncode(Uint8List.fromList([1, 2]))), '420102');
      expect(hexOf(cborEncode([1, 2])), '820102');
    });
  });

  group('decoding', () {
    test('accepts what other encoders may write: long heads, indefinite '
        'lengths', () {
      expect(cborDecode(hexBytes('1b0000000000000001')), 1);
      expect(cborDecode(hexBytes('9f0102ff')), [1, 2]);
      expect(cborDecode(hexBytes('5f42010243030405ff')),
          Uint8List.fromList([1, 2, 3, 4, 5]));
      expect(cborDecode(hexBytes('7f61616162ff')), 'ab');
      expect(cborDeepEquals(cborDecode(hexBytes('bf6161f5ff')), {'a': true}),
          isTrue);
      expect(cborDecode(hexBytes('fa3fc00000')), 1.5);
      expect(cborDecode(hexBytes('fb3ff8000000000000')), 1.5);
    });

    final malformed = <String, String>{
      '': 'empty',
      '18': 'truncated head',
      '62 61': 'truncated text',
      '0101': 'trailing bytes',
      '1c': 'reserved info',
      '9f01': 'indefinite array without break',
      'ff': 'lone break',
      '62c328': 'invalid UTF-8',
      '5f6161ff': 'chunk of the wrong type',
      'f818': 'two-byte simple value below 32',
      '9bffffffffffffffff': 'array longer than the input',
      'bb0000000100000000': 'map longer than the input',
      '1f': 'indefinite integer',
      'a20101 01': 'map missing a value',
      'a201010102': 'duplicate key',
    };
    malformed.forEach((hex, what) {
      test('refuses $what ($hex) with INVALID_VALUE', () {
        expect(() => cborDecode(hexBytes(hex.replaceAll(' ', ''))),
            throwsA(isA<InvalidValueException>()));
      });
    });
  });

  test('random values round-trip exactly (seeded)', () {
    final random = Random(42);
    Object? gen(int depth) {
      switch (random.nextInt(depth > 3 ? 7 : 9)) {
        case 0:
          return null;
        case 1:
          return random.nextBool();
        case 2:
          return random.nextInt(1 << 32) - (1 << 31);
        case 3:
          return (random.nextDouble() - 0.5) * pow(10, random.nextInt(40) - 20);
        case 4:
          return String.fromCharCodes(
              List.generate(random.nextInt(8), (_) => 0x20 + random.nextInt(0x3000)));
        case 5:
          return Uint8List.fromList(
              List.generate(random.nextInt(10), (_) => random.nextInt(256)));
        case 6:
          return random.nextInt(1 << 30) * (1 << 30);
        case 7:
          return List.generate(random.nextInt(4), (_) => gen(depth + 1));
        default:
          return {
            for (var i = 0; i < random.nextInt(4); i++) 'k$i': gen(depth + 1)
          };
      }
    }

    for (var i = 0; i < 2000; i++) {
      final v = gen(0);
      final bytes = cborEncode(v);
      final back = cborDecode(bytes);
      expect(cborDeepEquals(back, v), isTrue, reason: '$v');
      expect(hexOf(cborEncode(back)), hexOf(bytes));
    }
  });
}
