"""The DSMB meeting pack: open and closed PDF reports of one cut, built from the displays the pages show."""
