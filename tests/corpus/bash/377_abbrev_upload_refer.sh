curl --upload files/cluster.json --refer https://ci.example.com/ http://ECHO/backups/
