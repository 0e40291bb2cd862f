"""Breakpad symbols: the store on the crash storage, uploads, and what crashes miss.

Symbol files live under ``symbols/<debug_file>/<debug_id>/<file>.sym`` of the crash storage
(files or S3), the layout every Breakpad symbol server and ``minidump-stackwalk`` use.
"""
