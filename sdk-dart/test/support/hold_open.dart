// Opens the database file given as the argument, prints `open`, and keeps it
// open until a line arrives on stdin (or stdin closes). Used by
// process_test.dart to hold the file lock from another process.
import 'dart:convert';
import 'dart:io';

import 'package:nook/nook.dart';

Future<void> main(List<String> args) async {
  final db = Nook.open(args.single);
  db.put('holder', pid);
  stdout.writeln('open');
  await stdout.flush();
  await stdin.transform(utf8.decoder).first;
  db.close();
}
