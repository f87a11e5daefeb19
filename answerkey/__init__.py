"""answerkey: YAML problem specs → SymPy derivations → typeset question sheets and answer keys."""

__version__ = "0.1.0"
