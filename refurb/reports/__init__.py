"""Stock reports, exports and impact figures for workshop leads and funders.

``stock.build_report`` computes every count with SQL (GROUP BY) over the devices and events
tables; ``impact`` turns the devices that went out into kg of e-waste and CO2e avoided, each
factor with its source; ``exports`` maps devices to the Open Repair Data Standard, to Snipe-IT's
asset importer and to a plain every-field table; ``writers``, ``html`` and ``pdf`` render.
Nothing here prints or imports typer or rich.
"""
