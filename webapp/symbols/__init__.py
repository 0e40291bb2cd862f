"""Symbols: the symbol server (/symbols/), uploads and their history, missing symbols, healing."""
