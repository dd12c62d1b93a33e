"""How a report and a notice are shown as summary rows: to the person who sent them and to the CME team, in the
same words."""
