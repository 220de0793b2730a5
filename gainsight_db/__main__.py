from gainsight_db.cli import main

main()
