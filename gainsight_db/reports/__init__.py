"""What the reports show: the queries behind every report and the settings of the memory-technology
comparison."""
