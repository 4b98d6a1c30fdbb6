#!/usr/bin/perl
# Writes a small MaxMind-format city database for the request-context tests,
# so no test ever needs a downloaded one.
# Usage: make-test-geoip.pl OUT.mmdb CIDR,ISO,COUNTRY-NAME,CITY ...
# (CITY may be empty: a network with a country and no city.)
use strict;
use warnings;

use MaxMind::DB::Writer::Tree;

my $out = shift @ARGV or die "usage: $0 OUT.mmdb CIDR,ISO,COUNTRY,CITY ...\n";

my %types = (
  country  => 'map',
  city     => 'map',
  names    => 'map',
  iso_code => 'utf8_string',
  en       => 'utf8_string',
);

my $tree = MaxMind::DB::Writer::Tree->new(
  ip_version               => 6,
  record_size              => 24,
  # The tests use the documentation ranges, which it would leave out.
  remove_reserved_networks => 0,
  database_type            => 'Crossing-Test-City',
  languages                => ['en'],
  description              => { en => 'Crossing test networks, made at test time' },
  map_key_type_callback    => sub { $types{ $_[0] } // die "no type for $_[0]\n" },
);

for my $entry (@ARGV) {
  my ($cidr, $iso, $country, $city) = split /,/, $entry, 4;
  my %record = (country => { iso_code => $iso, names => { en => $country } });
  $record{city} = { names => { en => $city } } if defined $city && $city ne '';
  $tree->insert_network($cidr, \%record);
}

open my $fh, '>:raw', $out or die "cannot write $out: $!\n";
$tree->write_tree($fh);
close $fh or die "cannot write $out: $!\n";
