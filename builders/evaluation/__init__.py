"""Does the data help? `toolmint eval` asks a GGUF model (the student) to answer held-out requests with
tool calls through its own chat template, and scores its calls against gold calls with BFCL's AST
rules (matching.py): zero-shot with the tools' documentation, or with k demonstrations retrieved from
a dataset's `ste_icl` bank (STE's in-context use of its examples).

  gold.py      gold items: a toolmint dataset's test split, a user's JSONL
  bfcl.py      gold items from BFCL's own files, read from the installed `bfcl-eval` wheel
  replies.py   the calls in a model's reply (Qwen's <tool_call>, JSON, Python call syntax)
  matching.py  a call against its acceptable answers (BFCL's rules), order-free over parallel calls
  student.py   the model answering, through the GGUF's own chat template
  scoring.py   one item's verdict (well-formed, tool, arguments, execution) and the figures
"""
