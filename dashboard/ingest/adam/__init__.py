"""ADaM input: an export folder with ADSL is read, validated and translated into the SDTM-shaped domains the
analyses read (docs/adam.md); the existing seal, write and activate path then runs unchanged."""
