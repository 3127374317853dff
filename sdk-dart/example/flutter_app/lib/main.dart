// Notes kept in a Nook database: the async API keeps every database call off
// the UI isolate, and a hot restart re-opens (attaches to) the same file.
import 'package:flutter/material.dart';
import 'package:nook/nook.dart';
import 'package:path_provider/path_provider.dart';

Future<void> main() async {
  WidgetsFlutterBinding.ensureInitialized();
  final dir = await getApplicationDocumentsDirectory();
  final db = await Nook.openAsync('${dir.path}/notes.nook');
  runApp(NotesApp(db: db));
}

class NotesApp extends StatelessWidget {
  const NotesApp({super.key, required this.db});

  final Nook db;

  @override
  Widget build(BuildContext context) => MaterialApp(
        title: 'Nook notes',
        theme: ThemeData(colorSchemeSeed: Colors.teal),
        home: NotesPage(db: db),
      );
}

class NotesPage extends StatefulWidget {
  const NotesPage({super.key, required this.db});

  final Nook db;

  @override
  State<NotesPage> createState() => _NotesPageState();
}

class _NotesPageState extends State<NotesPage> {
  final _text = TextEditingController();
  List<NookEntry> _notes = const [];
  String? _error;

  @override
  void initState() {
    super.initState();
    _reload();
  }

  @override
  void dispose() {
    _text.dispose();
    super.dispose();
  }

  Future<void> _reload() async {
    final notes = await widget.db.entriesAsync(prefix: 'note:');
    // Keys sort by creation time; newest first.
    notes.sort((a, b) => b.keyString.compareTo(a.keyString));
    if (!mounted) return;
    setState(() => _notes = notes);
  }

  Future<void> _add() async {
    final text = _text.text.trim();
    if (text.isEmpty) return;
    final now = DateTime.now();
    final key = 'note:${now.microsecondsSinceEpoch.toString().padLeft(20, '0')}';
    try {
      await widget.db.insertAsync(key, {'text': text, 'at': now.toIso8601String()});
      _text.clear();
      _error = null;
    } on NookException catch (e) {
      _error = '${e.name}: ${e.message}';
    }
    await _reload();
  }

  Future<void> _delete(NookEntry note) async {
    await widget.db.deleteAsync(note.key);
    await _reload();
  }

  @override
  Widget build(BuildContext context) => Scaffold(
        appBar: AppBar(title: Text('Nook notes (${_notes.length})')),
        body: Column(
          children: [
            Padding(
              padding: const EdgeInsets.all(12),
              child: TextField(
                controller: _text,
                decoration: InputDecoration(
                  hintText: 'Write a note',
                  errorText: _error,
                ),
                onSubmitted: (_) => _add(),
              ),
            ),
            Expanded(
              child: ListView.builder(
                itemCount: _notes.length,
                itemBuilder: (context, i) {
                  final note = _notes[i];
                  final value = note.value as Map<Object?, Object?>;
                  return ListTile(
                    title: Text(value['text'] as String),
                    subtitle: Text(value['at'] as String),
                    trailing: IconButton(
                      icon: const Icon(Icons.delete_outline),
                      onPressed: () => _delete(note),
                    ),
                  );
                },
              ),
            ),
          ],
        ),
        floatingActionButton: FloatingActionButton(
          onPressed: _add,
          child: const Icon(Icons.add),
        ),
      );
}
