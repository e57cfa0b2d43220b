"""Pure computations over reservation rows: no network, no store, `now` passed in.

- `outcomes`: what a row's status strings mean (no-show, early release, ...) and the filters
  every insight applies first;
- `incidents`: counts, no-shows and early releases per room, place or person, repeat offenders;
- `working_time`: the hours utilisation is measured against, and windows of local days;
- `usage`: utilisation, used and ghost time, peak hours, idle rooms, right-sizing.
"""
