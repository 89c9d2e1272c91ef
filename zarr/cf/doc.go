// Package cf reads a Zarr group the way xarray and GDAL see it: as a CF /
// GeoZarr dataset of named variables over named dimensions, with coordinate
// variables, CF time, masking (_FillValue, missing_value) and packing
// (scale_factor, add_offset), the CRS (CF grid_mapping, the proj: and
// spatial: conventions, GDAL's _CRS) and the dataset's extent in space and
// time.
//
// It builds on package zarr and zarr/cftime and knows nothing about
// aggregation, jobs or HTTP.
package cf
