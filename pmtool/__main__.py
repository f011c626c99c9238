from pmtool.cli.app import main

main()
