module github.com/lightconedb/lightcone

go 1.26.8
