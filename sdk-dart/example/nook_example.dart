// A tour of package:nook from a plain Dart program.
//
// From sdk-dart/: dart run example/nook_example.dart [path]
// (the build hook builds libnook with cargo on first run; or set
// NOOK_LIBRARY_PATH to a libnook you built).
import 'dart:io';

import 'package:nook/nook.dart';

Future<void> main(List<String> args) async {
  final path = args.isNotEmpty
      ? args.first
      : '${Directory.systemTemp.createTempSync('nook_example_').path}/example.nook';
  print(Nook.libraryVersion());
  final db = Nook.open(path);

  // Typed values are stored as CBOR.
  db.put('user:1', {'name': 'Ada', 'born': 1815, 'langs': ['en', 'fr']});
  db['user:2'] = {'name': 'Grace', 'born': 1906};
  print('user:1 = ${db.get('user:1')}');

  // insert refuses an existing key; every failure is a typed exception.
  try {
    db.insert('user:1', {'name': 'someone else'});
  } on AlreadyExistsException catch (e) {
    print('${e.name}: ${e.message}');
  }

  // A write transaction: all of it or none.
  db.write((txn) {
    final count = (txn.get('count') as int?) ?? 0;
    txn.put('count', count + 2);
    txn.delete('user:0');
  });

  // Iteration by prefix, in batches of many pairs per native call.
  for (final entry in db.entries(prefix: 'user:')) {
    print('${entry.keyString}: ${entry.value}');
  }

  // The async API runs on a background isolate (use it from a UI isolate).
  await db.putAsync('greeting', 'hello from the worker isolate');
  print(await db.getAsync('greeting'));
  print('keys: ${await db.lengthAsync()}');

  print(db.stats());
  print(db.check());
  db.close();
  print('database file: $path');
}
