from recovery.cli.main import main

raise SystemExit(main())
