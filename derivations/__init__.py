"""The math of answerkey: pure SymPy, no files, no LaTeX.

``network`` holds the architecture model, ``layers`` the registry of layer kinds and their
rules, ``views`` the questions asked of a network, ``backprop`` the matrix calculus.
"""
