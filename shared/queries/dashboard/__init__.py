"""Reads for the staff dashboard: plain functions from a session and the dashboard's filters to data, each a fixed
number of queries however many rows (never a query per row). The Dash layer only lays out what they return.

A module for each page or measure: `overview`, `caseloads`, `overdue` (checks and notices waiting), `referrals`,
`outcomes` (outcomes, time to locate, removals without a destination) and `placed` (attendance since placement).
What the filters keep is stated once, in `scope`; `choices` lists what the filters can be set to; `days` is SQL
for days in England and school days on both databases; `counting` holds the grouped counts they share.
"""
