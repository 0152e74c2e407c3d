curl --insec --LOCATION --silen --user-a 'abbrev/1.0' --data-b @files/crlf.txt http://ECHO/api/abbrev
