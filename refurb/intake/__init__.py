"""Intake: donor spreadsheets (reading, column mapping, dates, row checks), scanning at the door,
reconciling the sheet with the probe, and the donor's receipt.

Modules are imported one by one (``refurb.intake.sheet``, ...): the projection needs only
``reconcile``, and nothing here may slow down every command's start-up.
"""
