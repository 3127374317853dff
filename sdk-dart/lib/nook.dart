/// Nook for Dart and Flutter: an embedded, crash-safe key-value database with
/// CBOR values, reached through its C ABI with `dart:ffi`.
///
/// ```dart
/// import 'package:nook/nook.dart';
///
/// void main() {
///   final db = Nook.open('app.nook');
///   db.put('user:1', {'name': 'Ada', 'langs': ['en', 'fr']});
///   print(db.get('user:1'));
///   for (final e in db.entries(prefix: 'user:')) {
///     print('${e.keyString} = ${e.value}');
///   }
///   db.close();
/// }
/// ```
///
/// Map of the package (`lib/src/`):
/// - `database.dart`: [Nook]; with its parts `transaction.dart` ([ReadTxn],
///   [WriteTxn]), `cursor.dart` ([NookEntry] iteration), `batch.dart`
///   ([NookBatch]), `reports.dart` ([NookStats] and friends), `worker.dart`
///   (the `...Async` methods on a background isolate) and `calls.dart` (the
///   native calls and buffers).
/// - `library.dart`: finds and loads libnook, checks its ABI version.
/// - `bindings.g.dart`: the C functions (GENERATED from `abi/include/nook.h`).
/// - `errors.dart` + `errors.g.dart`: [NookException] and one subclass per
///   error NAME (GENERATED from `spec/errors.toml`).
/// - `cbor.dart`: the CBOR codec for typed values.
library;

export 'src/cbor.dart'
    show CborSimpleValue, CborTag, cborDecode, cborDeepEquals, cborEncode;
export 'src/database.dart'
    show
        CheckReport,
        CompactReport,
        Durability,
        Nook,
        NookAsync,
        NookBatch,
        NookEntry,
        NookStats,
        NookTxn,
        ReadTxn,
        WriteTxn;
export 'src/errors.dart';
