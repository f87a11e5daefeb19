# The part of PyLaTeX answerkey uses, typed (PyLaTeX ships no type information).
